"""The header's unread count is cached per user and dropped whenever it changes.

`cases.notifications.unread_count` caches the count for a minute; `write` (every reminder:
the sweep, the publicity close) and `mark_read` (one, all) drop the counts they change, also
when the change commits, so no page shows a count older than the last change in this process.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import notifications
from cases.models import Notification, NotificationKind, NotificationLevel

pytestmark = pytest.mark.django_db


def _badge(client) -> str | None:
    html = client.get(reverse("case_list")).content.decode()
    found = re.search(r'aria-label="未读提醒(\d+)条"', html)
    return found.group(1) if found else None


def _draft(user, n: int) -> notifications.Draft:
    return notifications.Draft(
        recipient_id=user.pk, kind=NotificationKind.AT_RISK, level=NotificationLevel.WARNING,
        due_at=timezone.now() + dt.timedelta(days=n),
        message=notifications.Message(title=f"临期提醒{n}", body="请抓紧办理。"))


def _count_reads(user) -> tuple[int, int]:
    """(the count, how many statements it took)."""
    with CaptureQueriesContext(connection) as ctx:
        count = notifications.unread_count(user)
    return count, len(ctx.captured_queries)


def test_the_count_is_read_once_then_served_from_the_cache(clerk_a):
    notifications.write([_draft(clerk_a, 1)])
    assert _count_reads(clerk_a) == (1, 1)
    assert _count_reads(clerk_a) == (1, 0)


def test_the_cached_count_expires_within_a_minute(clerk_a, monkeypatch):
    stored = {}
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda key, value, timeout=None: (
        stored.update({key: timeout}), real_set(key, value, timeout)))
    notifications.unread_count(clerk_a)
    assert stored == {f"inbox:unread:{clerk_a.pk}": 60}


def test_a_reminder_written_drops_its_recipients_counts_only(clerk_a, leader_a):
    assert _count_reads(clerk_a) == (0, 1)
    assert _count_reads(leader_a) == (0, 1)
    notifications.write([_draft(clerk_a, 1), _draft(clerk_a, 2)])
    assert _count_reads(clerk_a) == (2, 1)
    assert _count_reads(leader_a) == (0, 0)  # not a recipient: still cached


def test_a_count_cached_inside_the_writing_transaction_is_dropped_at_commit(
        clerk_a, django_capture_on_commit_callbacks):
    """Another page may count between the insert and the commit; that count must not stay."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notifications.write([_draft(clerk_a, 1)])
        # What a concurrent request would cache before the commit: the old count.
        cache.set(f"inbox:unread:{clerk_a.pk}", 0, 60)
        assert notifications.unread_count(clerk_a) == 0
    assert callbacks
    assert _count_reads(clerk_a) == (1, 1)


def test_marking_one_read_and_all_read_drop_the_count(clerk_a):
    notifications.write([_draft(clerk_a, n) for n in range(3)])
    assert notifications.unread_count(clerk_a) == 3
    first = Notification.objects.filter(recipient=clerk_a).order_by("pk").first()
    notifications.mark_read(user=clerk_a, pk=first.pk)
    assert _count_reads(clerk_a) == (2, 1)
    notifications.mark_read(user=clerk_a)
    assert _count_reads(clerk_a) == (0, 1)


def test_the_header_badge_follows_the_inbox(client, clerk_a):
    client.force_login(clerk_a)
    assert _badge(client) is None  # counted and cached: 0
    notifications.write([_draft(clerk_a, 1), _draft(clerk_a, 2)])
    assert _badge(client) == "2"
    note = Notification.objects.filter(recipient=clerk_a).order_by("pk").first()
    assert client.post(reverse("inbox_read", args=[note.pk])).status_code == 302
    assert _badge(client) == "1"
    assert client.post(reverse("inbox_read_all")).status_code == 302
    assert _badge(client) is None


def test_the_badge_costs_no_statement_once_cached(client, clerk_a):
    client.force_login(clerk_a)
    _badge(client)
    with CaptureQueriesContext(connection) as ctx:
        _badge(client)
    assert not [q for q in ctx.captured_queries if "cases_notification" in q["sql"]]
