"""One appraisal service for every path (民主评议, S10): the outcome follows from the votes by
the settings' rule, every participant has a role, the date lies on or after the objection
and not in the future, and the signed record is attached as a scan."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, demo_image
from cases.models import Appraisal
from cases.workflow import CaseStatus as S
from tests.factories import HouseholdFactory, appraisal_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(village_a, staff):
    """A case sent to appraisal: an objection was made during its publicity (25 days ago)."""
    return build_case(S.AWAITING_APPRAISAL, household=HouseholdFactory(village=village_a),
                      **staff)


def _people(n: int, role: str = "村民代表") -> list[dict]:
    return [{"name": f"代表{i}", "capacity": role} for i in range(n)]


def _refused(case, clerk, **overrides) -> services.CaseActionError:
    with pytest.raises(services.CaseActionError) as exc:
        services.case_record_appraisal(case=case, by=clerk, **appraisal_input(**overrides))
    case.refresh_from_db()
    assert case.status == S.AWAITING_APPRAISAL
    assert not Appraisal.objects.filter(case=case).exists()
    return exc.value


def _objected_on(case) -> dt.date:
    return timezone.localdate(case.objections.get(kind="publicity").lodged_at)


@pytest.mark.clause("S10")
def test_passed_with_no_votes_for_and_three_against_is_refused_and_the_leader_cannot_approve(
        case, clerk_a, leader_a):
    """Guard: `cases.appraisal.check_votes` — the outcome must follow from the votes."""
    error = _refused(case, clerk_a, participants=_people(3), votes_for=0, votes_against=3,
                     outcome="supported")
    assert error.code == "outcome"
    assert "评议未通过" in error.message
    with pytest.raises(services.CaseActionError):
        services.case_sign_off(case=case, by=leader_a)


@pytest.mark.clause("S10")
@pytest.mark.parametrize(("votes_for", "outcome", "taken"), [
    (2, "supported", False),  # exactly half of 4: not more than half
    (2, "not_supported", True),
    (3, "supported", True),  # the first vote above half
    (3, "not_supported", False),
])
def test_more_than_half_of_the_participants_must_vote_for(case, clerk_a, votes_for, outcome,
                                                          taken):
    data = appraisal_input(participants=_people(4), votes_for=votes_for,
                           votes_against=4 - votes_for, outcome=outcome)
    if taken:
        services.case_record_appraisal(case=case, by=clerk_a, **data)
        assert Appraisal.objects.get(case=case).outcome == outcome
    else:
        with pytest.raises(services.CaseActionError) as exc:
            services.case_record_appraisal(case=case, by=clerk_a, **data)
        assert exc.value.code == "outcome"


@pytest.mark.clause("S10")
def test_abstentions_count_as_participants_not_in_favour(case, clerk_a):
    error = _refused(case, clerk_a, participants=_people(5), votes_for=2, votes_against=1,
                     votes_abstain=2, outcome="supported")
    assert error.code == "outcome"


@pytest.mark.clause("S10")
def test_the_pass_share_is_a_setting(case, clerk_a, settings):
    settings.APPRAISAL_PASS_SHARE = "2/3"
    assert _refused(case, clerk_a, participants=_people(6), votes_for=4, votes_against=2,
                    outcome="supported").code == "outcome"  # exactly 2/3
    services.case_record_appraisal(case=case, by=clerk_a, **appraisal_input(
        participants=_people(6), votes_for=5, votes_against=1, outcome="supported"))


@pytest.mark.clause("S10")
@pytest.mark.parametrize("role", ["", "亲戚", "村委委员会"])
def test_every_participant_needs_a_role_from_the_list(case, clerk_a, role):
    """Guard: `cases.appraisal.check_participants` — roles from `APPRAISAL_ROLES`."""
    people = _people(4) + [{"name": "王五", "capacity": role}]
    error = _refused(case, clerk_a, participants=people)
    assert error.code == "participants" and "王五" in error.message


@pytest.mark.clause("S10")
def test_each_listed_role_is_accepted(case, clerk_a, settings):
    people = [{"name": f"甲{i}", "capacity": r} for i, r in enumerate(settings.APPRAISAL_ROLES)]
    services.case_record_appraisal(case=case, by=clerk_a, **appraisal_input(
        participants=people, votes_for=len(people), votes_against=0))
    assert case.appraisals.get().participants == people


@pytest.mark.clause("S10")
def test_an_appraisal_held_before_the_objection_is_refused(case, clerk_a):
    """Guard: the date check in `services.case_record_appraisal` — on or after the day of the
    last publicity objection."""
    objected = _objected_on(case)
    error = _refused(case, clerk_a, held_on=objected - dt.timedelta(days=1))
    assert error.code == "date" and "异议提出之日" in error.message
    assert _refused(case, clerk_a, held_on=timezone.localdate() - dt.timedelta(days=400)
                    ).code == "date"


@pytest.mark.clause("S10")
def test_an_appraisal_on_the_day_of_the_objection_is_taken(case, clerk_a):
    services.case_record_appraisal(case=case, by=clerk_a,
                                   **appraisal_input(held_on=_objected_on(case)))
    case.refresh_from_db()
    assert case.status == S.AWAITING_SIGN_OFF


@pytest.mark.clause("S10")
def test_an_appraisal_dated_tomorrow_is_refused_and_today_is_taken(case, clerk_a):
    today = timezone.localdate()
    assert _refused(case, clerk_a, held_on=today + dt.timedelta(days=1)).code == "date"
    services.case_record_appraisal(case=case, by=clerk_a, **appraisal_input(held_on=today))


@pytest.mark.clause("S10")
def test_the_signed_record_must_be_attached_as_a_scan(case, clerk_a):
    """Guard: the scan check in `services.case_record_appraisal` (required, PDF/JPG/PNG)."""
    assert _refused(case, clerk_a, scan=None).code == "scan"
    text = SimpleUploadedFile("record.txt", b"just some words", content_type="text/plain")
    assert _refused(case, clerk_a, scan=text).code == "file_type"
    assert _refused(case, clerk_a, recorder=" ").code == "recorder"


@pytest.mark.clause("S10")
def test_the_scan_is_kept_with_its_hash_and_on_the_trail(case, clerk_a):
    services.case_record_appraisal(case=case, by=clerk_a, **appraisal_input())
    appraisal = case.appraisals.get()
    assert appraisal.scan and len(appraisal.scan_sha256) == 64
    assert appraisal.recorder == "李会计"
    event = case.events.get(action="appraisal_scan_filed")
    assert event.payload["sha256"] == appraisal.scan_sha256


# --- Every path: case page, API, publicity appraisal page --------------------------------------

def _page_data(**overrides) -> dict:
    data = {"held_on": timezone.localdate().isoformat(), "place": "村委会", "chair": "张书记",
            "recorder": "李会计", "participants": "王一，村民代表\n王二，村民代表\n王三，驻村干部",
            "votes_for": 0, "votes_against": 3, "votes_abstain": 0, "outcome": "supported",
            "notes": "", "scan": SimpleUploadedFile("r.png", demo_image(), "image/png")}
    data.update(overrides)
    return {f"record_appraisal-{k}": v for k, v in data.items()}


@pytest.mark.clause("S10")
def test_the_case_page_refuses_passed_against_the_votes_and_takes_a_consistent_record(
        case, clerk_a):
    client = Client()
    client.force_login(clerk_a)
    url = reverse("case_action", args=[case.pk, "record_appraisal"])
    page = client.post(url, _page_data(), follow=True).content.decode()
    assert "评议结果须与表决一致" in page
    case.refresh_from_db()
    assert case.status == S.AWAITING_APPRAISAL
    client.post(url, _page_data(votes_for=3, votes_against=0))
    case.refresh_from_db()
    assert case.status == S.AWAITING_SIGN_OFF
    assert case.appraisals.get().scan_sha256


@pytest.mark.clause("S10")
def test_the_case_page_refuses_participants_without_roles(case, clerk_a):
    client = Client()
    client.force_login(clerk_a)
    url = reverse("case_action", args=[case.pk, "record_appraisal"])
    page = client.post(url, _page_data(participants="王一\n王二\n王三", votes_for=3,
                                       votes_against=0), follow=True).content.decode()
    assert "请写明每位参加人员的身份" in page
    case.refresh_from_db()
    assert case.status == S.AWAITING_APPRAISAL


@pytest.mark.clause("S10")
def test_the_api_refuses_a_record_without_a_scan_or_against_the_votes(case, clerk_a):
    client = Client()
    client.force_login(clerk_a)
    url = f"/api/cases/{case.pk}/transitions/record_appraisal/"
    body = {"held_on": timezone.localdate().isoformat(), "place": "村委会", "chair": "张书记",
            "recorder": "李会计", "participants": _people(3), "votes_for": 0,
            "votes_against": 3, "votes_abstain": 0, "outcome": "supported",
            "scan_base64": base64.b64encode(demo_image()).decode()}
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "评议结果须与表决一致" in response.json()["message"]
    body.update(votes_for=3, votes_against=0, scan_base64=None)
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "扫描件" in response.json()["message"]
    body["scan_base64"] = base64.b64encode(demo_image()).decode()
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "awaiting_sign_off"


@pytest.mark.clause("S10")
def test_the_publicity_appraisal_page_applies_the_same_rule(case, clerk_a):
    from publicity import services as publicity_services

    with pytest.raises(services.CaseActionError) as exc:
        publicity_services.appraisal_record(
            case=case, by=clerk_a, held_on=timezone.localdate(), place="村委会",
            chair="张书记", recorder="李会计", participants=_people(3), votes_for=0,
            votes_against=3, votes_abstain=0, outcome="supported", minutes="",
            scan=SimpleUploadedFile("r.png", demo_image(), "image/png"))
    assert exc.value.code == "outcome"


@pytest.mark.clause("S10")
def test_an_appraisal_dated_in_the_future_is_refused_whenever_it_is_entered(case, clerk_a):
    later = timezone.now() + dt.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        error = _refused(case, clerk_a, held_on=timezone.localdate() + dt.timedelta(days=1))
    assert error.code == "date"
