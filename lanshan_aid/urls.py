"""URL map. Every URL needs a login unless its view is marked `login_not_required`."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "兰山区社会救助经办系统 · 管理后台"
admin.site.site_title = "兰山区社会救助经办系统"
admin.site.index_title = "数据与配置管理"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("documents.urls")),
    path("", include("publicity.urls")),
    path("", include("cases.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
