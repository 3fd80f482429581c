"""Writing the look-up log (`AccessLog`): one row per view, search, export or print."""

from __future__ import annotations

from django.http import HttpRequest

from cases.models import AccessLog
from lanshan_aid.client_address import client_ip
from lanshan_aid.logging import mask_personal_data

__all__ = ["client_ip", "log_access"]


def log_access(request: HttpRequest, action: str, object_type: str, object_id="",
               detail: str = "") -> AccessLog:
    return AccessLog.objects.create(
        # A search term may be an ID or phone number: the log keeps it masked, since those
        # are encrypted at rest everywhere else (docs/security.md).
        user=request.user, action=action, object_type=object_type,
        object_id=str(object_id), detail=mask_personal_data(detail)[:200],
        ip=client_ip(request),
    )
