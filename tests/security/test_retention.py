"""Audit and access logs are kept: nothing in the app changes or deletes them (retention)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory

from accounts.models import AppendOnlyError, SecurityEvent
from accounts.services import record_event
from cases.models import AccessLog, CaseEvent

pytestmark = pytest.mark.django_db

LOG_MODELS = (SecurityEvent, LogEntry, AccessLog, CaseEvent)

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="the triggers exist on PostgreSQL only")


def test_sign_in_events_cannot_be_changed_or_deleted_through_the_orm(clerk_a):
    event = record_event(SecurityEvent.Kind.LOGIN, user=clerk_a)
    event.detail = "改写"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(detail="改写")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.get(pk=event.pk).detail == ""


def test_no_log_can_be_deleted_or_changed_in_the_admin_even_by_a_superuser(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model in LOG_MODELS:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_delete_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_add_permission(request), model
        assert "delete_selected" not in model_admin.get_actions(request), model


def test_an_account_with_a_sign_in_history_cannot_be_deleted(clerk_a):
    record_event(SecurityEvent.Kind.LOGIN, user=clerk_a)
    with pytest.raises(ProtectedError):
        clerk_a.delete()


def test_the_app_has_no_code_that_deletes_logs():
    """No module of the product calls delete() or update() on a log model."""
    import re
    from pathlib import Path

    from django.conf import settings

    base = Path(settings.BASE_DIR)
    pattern = re.compile(r"(SecurityEvent|AccessLog|CaseEvent|LogEntry)\.objects[^\n]*"
                         r"\.(delete|update)\(")
    found = [str(p.relative_to(base)) for app in ("accounts", "cases", "documents", "publicity")
             for p in (base / app).rglob("*.py")
             if "migrations" not in p.parts and pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []


@on_postgres
@pytest.mark.postgres
@pytest.mark.parametrize("table", ["accounts_securityevent", "cases_accesslog"])
def test_the_database_refuses_update_and_delete_of_log_rows(clerk_a, table):
    record_event(SecurityEvent.Kind.LOGIN, user=clerk_a)
    AccessLog.objects.create(user=clerk_a, action="view", object_type="household", object_id="1")
    for statement in (f"UPDATE {table} SET ip = NULL", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone()[0] >= 1
