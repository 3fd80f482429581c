"""Mounted by `lanshan_aid.urls` at /api/: namespace `api`."""

from django.urls import path

from cases.api.app import api

urlpatterns = [path("", api.urls)]
