"""The SMS channel behind one small interface.

A deployment names its gateway's backend in ``SMS_BACKEND`` (a dotted path) with its options in
``SMS_OPTIONS``; the default writes each message to the log, so nothing leaves the machine
until an office configures a real gateway. A backend raises `SmsError` when the gateway says
the message was not sent (the delivery task then retries it).
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("cases.sms")


class SmsError(Exception):
    """The gateway refused or failed to send the message."""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> None:
        """Send `text` to the mainland mobile number `to`; raise `SmsError` on failure."""


def mask_mobile(number: str) -> str:
    """138****5678: enough to recognise the number in a log, not to reuse it."""
    return f"{number[:3]}****{number[-4:]}" if len(number) >= 7 else "****"


class LogSmsBackend:
    """Writes the message to the log instead of sending it (the default)."""

    def __init__(self, **options):
        self.options = options

    def send(self, *, to: str, text: str) -> None:
        logger.info("短信（未接入短信网关，仅记录日志）发往 %s：%s", mask_mobile(to), text)


class LocmemSmsBackend:
    """Keeps messages in `LocmemSmsBackend.outbox`, like Django's locmem e-mail backend."""

    outbox: list[dict] = []

    def __init__(self, **options):
        self.options = options

    def send(self, *, to: str, text: str) -> None:
        type(self).outbox.append({"to": to, "text": text})


def get_backend() -> SmsBackend:
    """The configured backend, built with ``SMS_OPTIONS``."""
    backend_class = import_string(settings.SMS_BACKEND)
    return backend_class(**getattr(settings, "SMS_OPTIONS", {}))


def send_sms(*, to: str, text: str) -> None:
    get_backend().send(to=to, text=text)
