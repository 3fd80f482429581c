from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账户与安全"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import signals  # noqa: F401  (receivers)
        from lanshan_aid.middleware import stamp_session_at_login

        user_logged_in.connect(stamp_session_at_login, dispatch_uid="lanshan_session_stamp")
