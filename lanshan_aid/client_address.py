"""The client's network address: one function for the lockout, the rate limits and the logs.

Behind the proxy of `docker-compose.yml` every request reaches the application from the
proxy's own address, so REMOTE_ADDR names the proxy, not the visitor. The proxy (nginx, see the
`proxy` stage of the Dockerfile) passes `X-Forwarded-For: $proxy_add_x_forwarded_for`: whatever
X-Forwarded-For the visitor sent, then ", " and the address nginx itself saw. Only that last
entry is the proxy's word; anything before it is whatever the visitor chose to write. So with
TRUST_X_FORWARDED_FOR (set only where the application is reachable through that proxy alone)
the address is the last entry, and without it the header is ignored.

django-axes (AXES_CLIENT_IP_CALLABLE), the public forms' rate limits, the look-up log
(`cases.AccessLog`), the verification log and the sign-in log all call `client_ip`.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    """`value` as a normalised IP address, or None if it is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of the client that sent `request` (None if unknown).

    With TRUST_X_FORWARDED_FOR: the last X-Forwarded-For entry (the one our proxy appended);
    without the header, or if that entry is not an address, REMOTE_ADDR. Without the
    setting: REMOTE_ADDR alone.
    """
    if request is None:
        return None
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        if hops:
            last = _address(hops[-1])
            if last is not None:
                return last
    remote = request.META.get("REMOTE_ADDR") or ""
    return _address(remote) if remote else None
