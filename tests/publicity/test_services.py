"""Publicity services: board sheets (S6, S9), posting confirmation, objections and their
routing to democratic appraisal (S10), the appraisal both ways (S10)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.errors import CaseActionError
from cases.models import Appraisal, CaseEvent, Objection
from cases.permissions import Role
from cases.workflow import CaseStatus
from publicity import services
from publicity.models import BatchEntry, PublicityBatch
from tests.factories import HouseholdFactory, make_user
from tests.publicity import files
from tests.publicity.builders import publicize

pytestmark = pytest.mark.django_db


# --- Board sheets ------------------------------------------------------------------------------

@pytest.mark.clause("S6")
def test_a_case_entering_publicity_goes_on_its_villages_sheet_for_seven_days(running_entry):
    batch, case = running_entry.batch, running_entry.case
    clock = case.deadlines.get(kind="publicity")
    assert (batch.village, batch.township) == (case.village, case.township)
    assert batch.posted_on == timezone.localdate(clock.start_at)
    # The period runs from the day after posting, 7 calendar days, to 23:59:59 of day 7.
    assert running_entry.ends_at == clock.due_at == batch.ends_at
    assert batch.period_start == batch.posted_on + dt.timedelta(days=1)
    assert batch.period_end == batch.posted_on + dt.timedelta(days=7)
    assert batch.period_days == 7
    local_end = timezone.localtime(batch.ends_at)
    assert (local_end.hour, local_end.minute, local_end.second) == (23, 59, 59)
    assert batch.published_by.username == "clerk_a"
    assert case.events.filter(action="publicity_enlisted").count() == 1


@pytest.mark.clause("S6")
def test_cases_of_one_village_and_day_share_a_sheet_other_villages_get_their_own(
        village_a, village_a2, staff_a):
    _c1, e1 = publicize(HouseholdFactory(village=village_a), posted=False, **staff_a)
    _c2, e2 = publicize(HouseholdFactory(village=village_a), posted=False, **staff_a)
    _c3, e3 = publicize(HouseholdFactory(village=village_a2), posted=False, **staff_a)
    assert e1.batch_id == e2.batch_id != e3.batch_id
    assert [e1.seq, e2.seq, e3.seq] == [1, 2, 1]
    assert PublicityBatch.objects.count() == 2


@pytest.mark.clause("S6")
def test_a_case_proposed_after_the_sheet_went_up_goes_on_a_new_sheet(village_a, staff_a):
    _c1, e1 = publicize(HouseholdFactory(village=village_a), **staff_a)  # posted at once
    _c2, e2 = publicize(HouseholdFactory(village=village_a), posted=False, **staff_a)
    assert e1.batch_id != e2.batch_id
    assert e1.batch.posted_on == e2.batch.posted_on
    e2.batch.refresh_from_db()
    assert not e2.batch.is_confirmed and e2.ends_at is None


@pytest.mark.clause("S9")
def test_a_case_is_publicized_once_only(running_entry, clerk_a):
    again = services.enlist(running_entry.case, by=clerk_a)
    assert again.pk == running_entry.pk
    assert BatchEntry.objects.filter(case=running_entry.case).count() == 1
    assert running_entry.case.events.filter(action="publicity_enlisted").count() == 1


@pytest.mark.clause("S9")
def test_only_a_case_proposed_for_approval_can_be_publicized(village_a, staff_a):
    """No review-stage publicity: a case still being investigated cannot go on a sheet."""
    from cases.demo_cases import build_case

    case = build_case("investigating", household=HouseholdFactory(village=village_a),
                      **staff_a)
    with pytest.raises(CaseActionError) as exc:
        services.enlist(case, by=staff_a["clerk"])
    assert exc.value.code == "not_in_publicity"
    assert not PublicityBatch.objects.exists()


def test_only_the_township_publishes(village_a, staff_a, verifier_a, clerk_b):
    from cases.demo_cases import build_case

    case = build_case("in_publicity", household=HouseholdFactory(village=village_a), **staff_a)
    for outsider in (verifier_a, clerk_b):
        with pytest.raises(CaseActionError) as exc:
            services.enlist(case, by=outsider)
        assert exc.value.code == "forbidden"


# --- Posting confirmation ----------------------------------------------------------------------

def test_the_assistant_confirms_posting_with_a_photo_stripped_of_metadata(unposted_entry,
                                                                         assistant_a):
    from PIL import Image

    batch = unposted_entry.batch
    posted_at = timezone.now() - dt.timedelta(hours=1)
    services.batch_confirm_posting(batch=batch, by=assistant_a, photo=files.photo_upload(),
                                   posted_at=posted_at, place="村委会公示栏")
    batch.refresh_from_db()
    assert batch.confirmed_by == assistant_a and batch.posted_at == posted_at
    data = batch.board_photo.read()
    assert files.SECRET_MAKE.encode() not in data
    image = Image.open(batch.board_photo.path)
    assert image.format == "JPEG"
    assert not image.getexif()
    assert image.size == (32, 64)  # the orientation was applied, then dropped
    assert "comment" not in image.info
    assert batch.board_photo.name.startswith("publicity/boards/")
    assert "IMG_0001" not in batch.board_photo.name
    event = unposted_entry.case.events.get(action="publicity_posted")
    assert event.actor == assistant_a and event.payload["photo_sha256"] == \
        batch.board_photo_sha256


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: files.upload("a.gif", files.gif_bytes(), "image/gif"), "只能上传JPG、PNG或WebP"),
    (lambda: files.upload("a.jpg", b"not an image at all", "image/jpeg"), "无法识别"),
    (lambda: files.upload("a.jpg", b"", "image/jpeg"), "空文件"),
])
def test_a_photo_that_is_not_a_usable_image_is_refused_in_chinese(unposted_entry, assistant_a,
                                                                  upload, message):
    with pytest.raises(CaseActionError) as exc:
        services.batch_confirm_posting(batch=unposted_entry.batch, by=assistant_a,
                                       photo=upload(), posted_at=timezone.now())
    assert message in exc.value.message
    unposted_entry.batch.refresh_from_db()
    assert not unposted_entry.batch.is_confirmed


def test_an_oversize_photo_is_refused(running_entry, assistant_a, monkeypatch):
    from publicity import uploads

    monkeypatch.setattr(uploads, "MAX_PHOTO_BYTES", 200)
    with pytest.raises(CaseActionError) as exc:
        services.batch_confirm_posting(batch=running_entry.batch, by=assistant_a,
                                       photo=files.photo_upload(), posted_at=timezone.now())
    assert "不能超过" in exc.value.message


def test_a_png_with_transparency_is_stored_as_jpeg(running_entry, assistant_a):
    services.batch_confirm_posting(batch=running_entry.batch, by=assistant_a,
                                   photo=files.upload("b.png", files.png_bytes(), "image/png"),
                                   posted_at=timezone.now())
    running_entry.batch.refresh_from_db()
    assert running_entry.batch.board_photo.read()[:3] == b"\xff\xd8\xff"


def test_posting_cannot_be_confirmed_by_an_assistant_of_another_village(running_entry,
                                                                        village_a2):
    other = make_user("assistant_a2", Role.ASSISTANT, villages=[village_a2])
    with pytest.raises(CaseActionError) as exc:
        services.batch_confirm_posting(batch=running_entry.batch, by=other,
                                       photo=files.photo_upload(), posted_at=timezone.now())
    assert exc.value.code == "forbidden"


def test_posting_time_must_lie_between_publishing_and_now(unposted_entry, assistant_a):
    batch = unposted_entry.batch
    for when in (timezone.now() + dt.timedelta(hours=2),
                 timezone.now() - dt.timedelta(days=5)):
        with pytest.raises(CaseActionError) as exc:
            services.batch_confirm_posting(batch=batch, by=assistant_a,
                                           photo=files.photo_upload(), posted_at=when)
        assert exc.value.code == "posted_at"


# --- Objections --------------------------------------------------------------------------------

@pytest.mark.clause("S10")
def test_an_objection_by_phone_is_recorded_by_the_assistant_with_channel_and_time(
        running_entry, assistant_a):
    lodged = timezone.now() - dt.timedelta(minutes=30)
    detail = services.objection_record_for_case(
        case=running_entry.case, by=assistant_a, content="反映其子女在外地经营饭店。",
        channel="phone", lodged_at=lodged, submitter_name="李四", submitter_contact="13900001111")
    o = detail.objection
    assert (o.kind, o.channel, o.lodged_at, o.recorded_by) == (
        "publicity", "phone", lodged, assistant_a)
    assert detail.entry == running_entry and detail.receipt.startswith("YY")
    assert detail.submitter_contact == "13900001111"
    assert running_entry.case.events.filter(action="publicity_objection").exists()


def test_staff_cannot_record_an_objection_as_online_or_outside_the_period(running_entry,
                                                                         clerk_a):
    case = running_entry.case
    with pytest.raises(CaseActionError) as exc:
        services.objection_record_for_case(case=case, by=clerk_a, content="x", channel="online")
    assert exc.value.code == "channel"
    clock = case.deadlines.get(kind="publicity")
    with pytest.raises(CaseActionError) as exc:
        services.objection_record_for_case(
            case=case, by=clerk_a, content="有异议", channel="in_person",
            lodged_at=clock.start_at - dt.timedelta(hours=1))
    assert exc.value.code == "out_of_period"
    assert not Objection.objects.filter(case=case).exists()


def test_an_assistant_records_objections_only_in_their_villages(village_a2, staff_a,
                                                                assistant_a):
    case, _entry = publicize(HouseholdFactory(village=village_a2), **staff_a)
    with pytest.raises(CaseActionError) as exc:
        services.objection_record_for_case(case=case, by=assistant_a, content="有异议",
                                           channel="phone")
    assert exc.value.code == "forbidden"


def test_objection_text_is_stored_without_control_characters_and_bounded(running_entry,
                                                                        clerk_a):
    detail = services.objection_record_for_case(
        case=running_entry.case, by=clerk_a, channel="in_person",
        content="  <b>反映</b>\x00情况\r\n第二行\x1b  ")
    assert detail.objection.content == "<b>反映</b>情况\n第二行"
    with pytest.raises(CaseActionError) as exc:
        services.objection_record_for_case(case=running_entry.case, by=clerk_a,
                                           channel="phone", content="长" * 501)
    assert "不能超过500字" in exc.value.message


def test_the_township_writes_how_an_objection_was_handled(running_entry, clerk_a,
                                                         assistant_a):
    detail = services.objection_record_for_case(case=running_entry.case, by=assistant_a,
                                                content="有异议", channel="phone")
    with pytest.raises(CaseActionError):
        services.objection_handle(objection=detail.objection, by=assistant_a, handling="已核实")
    handled = services.objection_handle(objection=detail.objection, by=clerk_a,
                                        handling="已入户核实，公示期满后提交民主评议。")
    assert handled.handled_by == clerk_a and handled.handled_at is not None
    assert running_entry.case.events.filter(action="objection_handled").exists()


def test_an_objection_recorded_on_the_case_page_gets_its_detail_when_handled(running_entry,
                                                                            clerk_a):
    objection = case_services.objection_record(case=running_entry.case, content="有异议",
                                               by=clerk_a, channel="letter")
    detail = services.objection_handle(objection=objection, by=clerk_a, handling="已登记")
    assert detail.entry == running_entry and detail.receipt


@pytest.mark.clause("S10")
def test_a_public_objection_sends_the_case_to_democratic_appraisal(running_entry):
    detail = services.objection_lodge_public(entry=running_entry, content="该户有车辆。",
                                             client="203.0.113.9")
    assert detail.objection.channel == "online" and detail.objection.recorded_by is None
    assert detail.client_digest and "203.0.113.9" not in detail.client_digest
    import time_machine

    with time_machine.travel(running_entry.ends_at + dt.timedelta(minutes=1), tick=False):
        case = case_services.case_close_publicity(case=running_entry.case, by=None)
    assert case.status == CaseStatus.AWAITING_APPRAISAL


@pytest.mark.clause("S6")
def test_the_public_cannot_object_after_the_period(ended_entry):
    with pytest.raises(CaseActionError) as exc:
        services.objection_lodge_public(entry=ended_entry, content="有异议")
    assert exc.value.code == "closed"


# --- Democratic appraisal (S10) ----------------------------------------------------------------

@pytest.fixture
def appraisal_case(village_a, staff_a, hotline_a):
    """A case whose publicity drew an objection and has closed: awaiting appraisal."""
    case, entry = publicize(HouseholdFactory(village=village_a, members=2), days_ago=10,
                            **staff_a)
    clock = case.deadlines.get(kind="publicity")
    services.objection_record_for_case(case=case, by=staff_a["clerk"], channel="in_person",
                                       content="反映该户在城区有商品房。",
                                       lodged_at=clock.start_at + dt.timedelta(days=2))
    case = case_services.case_close_publicity(case=case, by=None)
    assert case.status == CaseStatus.AWAITING_APPRAISAL
    return case


def _appraise(case, by, **overrides):
    data = {
        "held_on": timezone.localdate(), "place": "村委会会议室", "chair": "张书记",
        "recorder": "李会计",
        "participants": [{"name": f"代表{i}", "capacity": "村民代表"} for i in range(5)],
        "votes_for": 4, "votes_against": 1, "votes_abstain": 0,
        "outcome": Appraisal.Outcome.SUPPORTED, "minutes": "经核实，商品房系其子女所有。",
        "scan": files.scan_upload(),
    }
    data.update(overrides)
    return services.appraisal_record(case=case, by=by, **data)


@pytest.mark.clause("S10")
def test_a_supporting_appraisal_sends_the_case_to_sign_off_and_the_leader_approves(
        appraisal_case, clerk_a, leader_a):
    from pypdf import PdfReader

    record = _appraise(appraisal_case, clerk_a)
    appraisal_case.refresh_from_db()
    assert appraisal_case.status == CaseStatus.AWAITING_SIGN_OFF
    appraisal = record.appraisal
    assert appraisal.participants[0] == {"name": "代表0", "capacity": "村民代表"}
    assert (appraisal.votes_for, appraisal.votes_against, appraisal.outcome) == (
        4, 1, "supported")
    assert appraisal.notes == "经核实，商品房系其子女所有。"
    assert record.recorder == "李会计" and record.scan_type == "application/pdf"
    reader = PdfReader(record.scan.path)
    assert len(reader.pages) == 1
    assert files.SECRET_AUTHOR not in str(reader.metadata or {})
    assert appraisal_case.events.filter(action="appraisal_scan_filed").exists()
    case = case_services.case_sign_off(case=appraisal_case, by=leader_a)
    assert case.status == CaseStatus.APPROVED


@pytest.mark.clause("S10")
def test_an_appraisal_that_does_not_support_leaves_the_leader_only_a_rejection(
        appraisal_case, clerk_a, leader_a):
    _appraise(appraisal_case, clerk_a, votes_for=1, votes_against=4,
              outcome=Appraisal.Outcome.NOT_SUPPORTED)
    appraisal_case.refresh_from_db()
    assert appraisal_case.status == CaseStatus.AWAITING_SIGN_OFF
    with pytest.raises(CaseActionError) as exc:
        case_services.case_sign_off(case=appraisal_case, by=leader_a)
    assert "民主评议未通过" in exc.value.message
    case = case_services.case_reject(case=appraisal_case, by=leader_a,
                                     reason="经民主评议，家庭财产状况不符合条件。")
    assert case.status == CaseStatus.REJECTED


@pytest.mark.clause("S10")
@pytest.mark.parametrize(("overrides", "code"), [
    ({"participants": [{"name": "甲", "capacity": "村民代表"},
                       {"name": "乙", "capacity": "村民代表"}]}, "participants"),
    ({"participants": [{"name": f"代表{i}", "capacity": ""} for i in range(4)]},
     "participants"),
    ({"votes_for": 4, "votes_against": 2, "votes_abstain": 1}, "votes"),  # 7 votes, 5 people
    ({"votes_for": 0, "votes_against": 0, "votes_abstain": 0}, "votes"),
    ({"votes_for": 2, "votes_against": 3}, "outcome"),
    ({"recorder": " "}, "recorder"),
    ({"scan": None}, "scan"),
    ({"scan": files.upload("x.pdf", b"%PDF-1.4 broken", "application/pdf")}, "scan"),
])
def test_an_incomplete_or_contradictory_appraisal_record_is_refused(appraisal_case, clerk_a,
                                                                   overrides, code):
    with pytest.raises(CaseActionError) as exc:
        _appraise(appraisal_case, clerk_a, **overrides)
    assert exc.value.code == code
    appraisal_case.refresh_from_db()
    assert appraisal_case.status == CaseStatus.AWAITING_APPRAISAL
    assert not Appraisal.objects.filter(case=appraisal_case).exists()


def test_only_the_township_records_an_appraisal(appraisal_case, assistant_a, clerk_b):
    for user in (assistant_a, clerk_b):
        with pytest.raises(CaseActionError) as exc:
            _appraise(appraisal_case, user)
        assert exc.value.code == "forbidden"


def test_an_appraisal_is_recorded_only_after_an_objection(running_entry, clerk_a):
    with pytest.raises(CaseActionError):
        _appraise(running_entry.case, clerk_a)


def test_every_publicity_fact_is_on_the_case_trail_and_the_chain_holds(appraisal_case,
                                                                      clerk_a):
    from cases.trail import verify_chain

    _appraise(appraisal_case, clerk_a)
    actions = list(CaseEvent.objects.filter(case=appraisal_case).values_list("action",
                                                                            flat=True))
    for action in ("publicity_enlisted", "publicity_objection", "end_publicity_with_objection",
                   "record_appraisal", "appraisal_scan_filed"):
        assert action in actions
    assert verify_chain(appraisal_case.pk) is None
