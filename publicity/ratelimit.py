"""A fixed-window rate limit on the cache: how often one sender may use a public form.

Counters live in the default cache (Redis in production, process memory in the demo), keyed
by a hash of the client, so no address is stored in the clear.
"""

from __future__ import annotations

import time

from django.core.cache import cache

# (requests, seconds)
OBJECTION_PER_CLIENT = (5, 3600)  # objections (and failed attempts) from one client an hour
OBJECTION_PER_VILLAGE = (60, 3600)  # all online objections about one village an hour
CAPTCHA_PER_CLIENT = (60, 600)  # captcha images for one client in ten minutes


def hit(scope: str, key: str, limit: tuple[int, int]) -> bool:
    """Count one use of `scope` by `key`; True while the count is within `limit`."""
    allowed, window = limit
    bucket = int(time.time() // window)
    cache_key = f"publicity:rl:{scope}:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window + 5)
            count = 1
    return count <= allowed


def exhausted(scope: str, key: str, limit: tuple[int, int]) -> bool:
    """Whether `key` has already used up `scope` in this window (without counting a use)."""
    allowed, window = limit
    bucket = int(time.time() // window)
    return (cache.get(f"publicity:rl:{scope}:{key}:{bucket}") or 0) >= allowed
