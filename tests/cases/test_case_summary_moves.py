"""The case summary offers as forms only the moves this user can make now; a move still
blocked is listed without a button, with what is missing and a link to where it is done."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases import services
from cases.demo_cases import build_case
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def accepted_case(village_a, clerk_a, verifier_a, leader_a):
    """Accepted, with no verification report and no home visit yet."""
    case = build_case(CaseStatus.RECEIVED, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    return services.case_accept(case=case, by=clerk_a)


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_blocked_moves_are_listed_with_what_is_missing_and_where(client, village_a, clerk_a,
                                                                  verifier_a, leader_a):
    case = accepted_case(village_a, clerk_a, verifier_a, leader_a)
    client.force_login(clerk_a)
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    offered, blocked = _section(html, "actions"), _section(html, "blocked-actions")

    # No form or button for a move that cannot be made yet.
    assert "/do/open_recheck/" not in html and "/do/propose_approval/" not in html
    assert "disabled" not in offered
    materials = reverse("case_materials", args=[case.pk])
    visits = reverse("case_visits", args=[case.pk])
    assert "受理核对结果异议" in blocked and "审核同意并公示" in blocked
    assert f'尚未录入家庭经济状况核对报告。 → <a href="{materials}">核对与授权</a>' in blocked
    assert f'→ <a href="{visits}">入户调查</a>' in blocked

    # What can be done now is a form: withdrawing, styled as a danger action.
    assert f'action="{reverse("case_action", args=[case.pk, "withdraw"])}"' in offered
    assert re.search(r'<button type="submit" class="danger" name="do" value="withdraw">',
                     offered)
    assert 'class="primary" name="do" value="withdraw"' not in html


def test_a_move_that_can_be_made_is_a_form_linking_to_the_calculation(
        client, village_a, clerk_a, verifier_a, leader_a):
    case = build_case(CaseStatus.INVESTIGATING, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    client.force_login(clerk_a)
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    offered = _section(html, "actions")
    assert 'class="primary" name="do" value="propose_approval">审核同意并公示</button>' in offered
    form = offered[offered.index("/do/propose_approval/"):offered.index("/do/withdraw/")]
    assert f'href="{reverse("assessment", args=[case.pk])}"' in form
    assert "propose_approval" not in _section(html, "blocked-actions")


def test_a_user_who_may_not_make_a_move_sees_neither_form_nor_listing(
        client, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    case = accepted_case(village_a, clerk_a, verifier_a, leader_a)
    client.force_login(assistant_a)
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "审核同意并公示" not in html and "/do/withdraw/" not in html
