"""System checks of the cases app's configuration."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

MIN_AUDIT_KEY_LENGTH = 32


@checks.register(checks.Tags.security)
def check_audit_hmac_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off the case trail needs its own key, never the published demo one.

    Without a key nobody could write or verify the trail; with the demo key (or a short one)
    anybody could recompute a chain they edited (docs/security.md, "The case trail").
    """
    if settings.DEBUG:
        return []
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    demo = getattr(settings, "DEMO_AUDIT_HMAC_KEY", None)
    if not key or key == demo or len(key) < MIN_AUDIT_KEY_LENGTH:
        return [checks.Error(
            "DEBUG is off and AUDIT_HMAC_KEY is missing, the demo key, or shorter than "
            f"{MIN_AUDIT_KEY_LENGTH} characters.",
            hint="Set AUDIT_HMAC_KEY (or AUDIT_HMAC_KEY_FILE) to a long random secret kept "
                 "outside the database; see docs/security.md, \"The case trail\".",
            id="cases.E001",
        )]
    return []
