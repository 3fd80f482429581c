"""WSGI entry point (gunicorn lanshan_aid.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanshan_aid.settings.base")
application = get_wsgi_application()
