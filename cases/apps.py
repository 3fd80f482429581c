from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "救助经办"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases import checks  # noqa: F401 - registers the system checks
        from cases.calendar import connect_display_calendar_signals

        connect_display_calendar_signals()
