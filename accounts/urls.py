from django.urls import path

from accounts import views

urlpatterns = [
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("account/otp/", views.otp_setup, name="otp_setup"),
]
