from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = "区级监督"
    default_auto_field = "django.db.models.BigAutoField"
