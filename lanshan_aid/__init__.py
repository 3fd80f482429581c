"""兰山区社会救助经办系统 (lanshan-aid)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
