from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = "公示"
    default_auto_field = "django.db.models.BigAutoField"
