"""URL map. Every URL needs a login unless its view is marked `login_not_required`."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import AdminOTPLoginForm
from accounts.views import LoginView

admin.site.site_header = "兰山区社会救助经办系统 · 管理后台"
admin.site.site_title = "兰山区社会救助经办系统"
admin.site.index_title = "数据与配置管理"
# The admin's own login page asks for the same second factor as the site's.
admin.site.login_form = AdminOTPLoginForm
admin.site.login_template = "registration/login.html"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("documents.urls")),
    path("", include("publicity.urls")),
    path("oversight/", include("oversight.urls")),
    path("", include("cases.urls")),
    path("api/", include("cases.api.urls")),
]

# Uploaded and issued files (MEDIA_ROOT) are never served by URL, not even in the demo: every
# download goes through a view that checks the user's permission and logs the access.

# A static page in Chinese; a lost database gives the 503 "database unavailable" page.
handler500 = "lanshan_aid.middleware.server_error"
