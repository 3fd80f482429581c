"""Fixtures of the publicity tests: a clean cache (rate-limit counters, cached leaflet) and
cases put into publicity through the services, with their board sheet entries."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from tests.factories import HouseholdFactory
from tests.publicity.builders import publicize


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def still_clock():
    """The clock stopped for the test: the rate limits count in fixed windows of the clock
    (`publicity.ratelimit`), and a window must not end halfway through a test."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def hotline_a(township_a):
    township_a.hotline = "0539-8123456"
    township_a.address = "兰山区兰山街道便民服务中心一楼"
    township_a.save(update_fields=["hotline", "address"])
    return township_a


@pytest.fixture
def staff_a(clerk_a, verifier_a, leader_a):
    return {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}


@pytest.fixture
def running_entry(village_a, staff_a, hotline_a):
    """A dibao case of village A in a running publicity period, on its board sheet."""
    household = HouseholdFactory(village=village_a, members=2)
    case, entry = publicize(household, **staff_a)
    return entry


@pytest.fixture
def unposted_entry(village_a, staff_a, hotline_a):
    """A dibao case of village A proposed for approval, on a board sheet not yet confirmed
    posted: its period has not started."""
    household = HouseholdFactory(village=village_a, members=2)
    case, entry = publicize(household, posted=False, **staff_a)
    return entry


@pytest.fixture
def ended_entry(village_a, staff_a, hotline_a):
    """A case of village A whose publicity period is over (not yet closed)."""
    household = HouseholdFactory(village=village_a, members=1)
    case, entry = publicize(household, days_ago=12, **staff_a)
    return entry
