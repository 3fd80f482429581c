"""System checks of the documents app (`manage.py check`, run on every start)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.urls)
def check_public_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The QR code on every issued notice carries `DOCUMENTS_PUBLIC_BASE_URL` + the check page.

    A phone that scans a paper notice needs the site's absolute address: with DEBUG off the
    setting is required, and whenever it is set it must be an http(s) address with a host.
    """
    base = (getattr(settings, "DOCUMENTS_PUBLIC_BASE_URL", "") or "").strip()
    if not base:
        if settings.DEBUG:
            return []
        return [checks.Error(
            "DOCUMENTS_PUBLIC_BASE_URL is not set: issued notices would print a QR code "
            "without the site's address.",
            hint="Set it to the public address of the site, e.g. https://jiuzhu.lanshan.gov.cn",
            id="documents.E001")]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        return [checks.Error(
            f"DOCUMENTS_PUBLIC_BASE_URL must be an absolute http(s) address, not {base!r}.",
            hint="e.g. https://jiuzhu.lanshan.gov.cn", id="documents.E002")]
    return []
