from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "救助经办"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cases.calendar import connect_display_calendar_signals

        connect_display_calendar_signals()
