"""Decisions whose amount departs from the calculation are their own stratum in spot checks
and are counted on the bureau's dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from oversight import services

pytestmark = pytest.mark.django_db


def _flag(case, reason="存款为大病医疗专款。"):
    Case.objects.filter(pk=case.pk).update(amount_overridden=True, override_reason=reason)


def _draw(bureau, township, **kw):
    end = timezone.localdate()
    return services.spot_check_draw(township=township, decided_from=end - dt.timedelta(days=60),
                                    decided_to=end, by=bureau, **kw)


@pytest.mark.clause("S1")
def test_every_overridden_decision_is_checked_beside_the_random_sample(
        bureau, township_a, mark_decided):
    """Guards the overridden stratum of `oversight.services.spot_check_draw`."""
    plain = mark_decided("approved", n=4)
    flagged = mark_decided("approved", n=2)
    for case in flagged:
        _flag(case)
    check = _draw(bureau, township_a, size=1, seed=42)
    drawn = list(check.items.order_by("position").values_list("case_id", flat=True))
    assert check.population_size == 4  # the random stratum only
    assert drawn[0] in {c.pk for c in plain} and drawn[1:] == sorted(c.pk for c in flagged)
    assert check.events.get(action="drawn").payload["overridden"] == drawn[1:]
    assert services.spot_check_reproduce(check) == {
        "same_population": True, "same_sample": True, "population_size": 4}


@pytest.mark.clause("S1")
def test_a_township_with_only_overridden_decisions_can_still_be_checked(
        bureau, township_a, mark_decided):
    (case,) = mark_decided("approved")
    _flag(case)
    check = _draw(bureau, township_a, size=1, seed=7)
    assert list(check.items.values_list("case_id", flat=True)) == [case.pk]


def test_the_spot_check_page_and_the_dashboard_show_the_override(client, bureau, township_a,
                                                                  mark_decided):
    (case,) = mark_decided("approved")
    _flag(case, reason="另一成员已纳入特困供养。")
    check = _draw(bureau, township_a, size=1, seed=7)
    client.force_login(bureau)
    page = client.get(reverse("spot_check_detail", args=[check.pk])).content.decode()
    assert "与计算结果不一致" in page and "另一成员已纳入特困供养。" in page
    board = client.get(reverse("bureau_dashboard")).content.decode()
    assert "金额与计算结果不一致" in board
