"""Staff pages: scoped to the user's villages (404 outside), the board sheet in A4 and A3,
the export marked 公开版, posting confirmation, objections and the appraisal form."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Objection
from cases.workflow import CaseStatus
from publicity.disclosure import mask_name
from tests.factories import HouseholdFactory
from tests.publicity import files
from tests.publicity.builders import publicize

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def batch_urls(batch):
    return [
        reverse("publicity_batch_detail", args=[batch.pk]),
        reverse("publicity_board_pdf", args=[batch.pk, "a4"]),
        reverse("publicity_board_pdf", args=[batch.pk, "a3"]),
        reverse("publicity_batch_export", args=[batch.pk]),
    ]


def test_the_list_shows_the_sheets_of_the_users_villages_only(running_entry, village_a2,
                                                              staff_a, clerk_b, assistant_a,
                                                              bureau):
    _case, other = publicize(HouseholdFactory(village=village_a2), **staff_a)
    url = reverse("publicity_batch_list")
    clerk_page = login(staff_a["clerk"]).get(url).content.decode()
    assert running_entry.batch.get_absolute_url() in clerk_page
    assert other.batch.get_absolute_url() in clerk_page
    assistant_page = login(assistant_a).get(url).content.decode()
    assert running_entry.batch.get_absolute_url() in assistant_page
    assert other.batch.get_absolute_url() not in assistant_page  # not her village
    assert running_entry.batch.get_absolute_url() not in login(clerk_b).get(url).content.decode()
    assert other.batch.get_absolute_url() in login(bureau).get(url).content.decode()


def test_every_sheet_page_is_404_outside_the_users_villages(running_entry, clerk_b,
                                                           village_a2):
    from cases.permissions import Role
    from tests.factories import make_user

    outsiders = [clerk_b, make_user("assistant_a2", Role.ASSISTANT, villages=[village_a2])]
    batch = running_entry.batch
    for user in outsiders:
        client = login(user)
        for url in batch_urls(batch) + [reverse("publicity_batch_photo", args=[batch.pk])]:
            assert client.get(url).status_code == 404, (user, url)
        response = client.post(reverse("publicity_batch_confirm", args=[batch.pk]),
                               {"posted_at": "2026-01-01T09:00", "photo": files.photo_upload()})
        assert response.status_code == 404
        case_pk = running_entry.case.pk
        for name in ("publicity_objection_new", "publicity_appraisal_new"):
            assert client.get(reverse(name, args=[case_pk])).status_code == 404


@pytest.mark.clause("S22")
@pytest.mark.parametrize(("size", "points"), [("a4", (595, 842)), ("a3", (842, 1191))])
def test_the_board_sheet_prints_in_a4_and_a3(running_entry, clerk_a, size, points):
    from pypdf import PdfReader

    response = login(clerk_a).get(reverse("publicity_board_pdf",
                                          args=[running_entry.batch_id, size]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == points
    text = "".join(reader.pages[0].extract_text().split())
    name = running_entry.case.applicant.name
    for expected in (name, "社会救助审批公示", "0539-8123456", "公示期", "民主评议",
                     f"/gongshi/{running_entry.batch.village.code}/"):
        assert expected in text, expected
    assert AccessLog.objects.filter(action="print", object_type="publicity_batch").exists()


def test_the_board_sheet_has_a_qr_code_pointing_to_the_objection_form(running_entry):
    from publicity import printing

    public_url = f"http://testserver/gongshi/{running_entry.batch.village.code}/"
    html = printing.board_html(running_entry.batch, public_url=public_url)
    assert printing.qr_data_uri(public_url + "yiyi/") in html
    assert public_url in html  # the village page is named in the text
    assert 'src="data:image/svg+xml' in html


def test_an_unknown_paper_size_is_404(running_entry, clerk_a):
    url = reverse("publicity_board_pdf", args=[running_entry.batch_id, "a5"])
    assert login(clerk_a).get(url).status_code == 404


def test_the_export_is_marked_public_and_masks_names(running_entry, clerk_a):
    response = login(clerk_a).get(reverse("publicity_batch_export",
                                          args=[running_entry.batch_id]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert "公开版" in rows[0][0]
    assert rows[2] == ["序号", "村(社区)", "申请人", "保障人数", "救助类别", "拟救助金额"]
    applicant = running_entry.case.applicant
    assert rows[3][2] == mask_name(applicant.name)
    assert applicant.name not in text
    assert AccessLog.objects.filter(action="export", object_type="publicity_batch").exists()


def test_the_export_after_the_period_holds_only_the_count(ended_entry, clerk_a):
    text = login(clerk_a).get(reverse("publicity_batch_export", args=[ended_entry.batch_id])
                              ).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1] == "共1户" and len(rows) == 3
    assert ended_entry.case.applicant.name not in text
    assert mask_name(ended_entry.case.applicant.name) not in text


def test_the_assistant_confirms_posting_on_the_sheet_page(unposted_entry, assistant_a):
    client = login(assistant_a)
    page = client.get(unposted_entry.batch.get_absolute_url()).content.decode()
    assert "确认张贴" in page
    posted = timezone.localtime() - dt.timedelta(minutes=5)
    response = client.post(reverse("publicity_batch_confirm", args=[unposted_entry.batch_id]), {
        "posted_at": posted.strftime("%Y-%m-%dT%H:%M"), "posted_place": "村委会公示栏",
        "photo": files.photo_upload()})
    assert response.status_code == 302
    photo = client.get(reverse("publicity_batch_photo", args=[unposted_entry.batch_id]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo["Cache-Control"] == "private, no-store"  # like every other personal file
    assert photo["X-Content-Type-Options"] == "nosniff"
    assert files.SECRET_MAKE.encode() not in b"".join(photo.streaming_content)


def test_a_wrong_file_type_is_refused_with_a_chinese_message(unposted_entry, assistant_a):
    response = login(assistant_a).post(
        reverse("publicity_batch_confirm", args=[unposted_entry.batch_id]),
        {"posted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "photo": files.upload("board.pdf", files.pdf_with_metadata(), "application/pdf")})
    assert response.status_code == 400
    assert "公示栏照片无法识别，只能上传JPG、PNG或WebP文件" in response.content.decode()


def test_a_verifier_sees_the_sheet_but_cannot_confirm_posting(unposted_entry, verifier_a):
    client = login(verifier_a)
    assert "确认已张贴" not in client.get(unposted_entry.batch.get_absolute_url()
                                          ).content.decode()
    response = client.post(reverse("publicity_batch_confirm", args=[unposted_entry.batch_id]), {
        "posted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "photo": files.photo_upload()}, follow=True)
    assert "只有该村(社区)的协理员或本镇街工作人员可以确认张贴" in response.content.decode()
    unposted_entry.batch.refresh_from_db()
    assert not unposted_entry.batch.is_confirmed


@pytest.mark.clause("S10")
def test_the_assistant_records_a_phone_objection_and_the_clerk_writes_its_handling(
        running_entry, assistant_a, clerk_a):
    url = reverse("publicity_objection_new", args=[running_entry.case.pk])
    client = login(assistant_a)
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "channel": "phone", "lodged_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "content": "反映该户有经营性收入。", "submitter_name": "", "submitter_contact": ""})
    assert response.status_code == 302
    objection = Objection.objects.get(case=running_entry.case)
    assert objection.channel == "phone" and objection.recorded_by == assistant_a
    handle = reverse("publicity_objection_handle", args=[objection.pk])
    assert login(assistant_a).post(handle, {f"h{objection.pk}-handling": "x"}).status_code == 302
    objection.refresh_from_db()
    assert not objection.publicity_detail.handling  # refused: assistants do not handle
    login(clerk_a).post(handle, {f"h{objection.pk}-handling": "已电话回复反映人。"})
    objection.publicity_detail.refresh_from_db()
    assert objection.publicity_detail.handling == "已电话回复反映人。"


def test_the_objection_form_refuses_oversize_text(running_entry, clerk_a):
    url = reverse("publicity_objection_new", args=[running_entry.case.pk])
    response = login(clerk_a).post(url, {
        "channel": "in_person", "lodged_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "content": "长" * 501})
    assert response.status_code == 400
    assert "异议内容不能超过500字" in response.content.decode()


@pytest.mark.clause("S10")
def test_the_appraisal_form_records_the_meeting_and_its_signed_scan(village_a, staff_a,
                                                                   clerk_a):
    from cases import services as case_services
    from publicity import services

    case, _entry = publicize(HouseholdFactory(village=village_a), days_ago=10, **staff_a)
    clock = case.deadlines.get(kind="publicity")
    services.objection_record_for_case(case=case, by=clerk_a, channel="letter",
                                       content="来信反映。",
                                       lodged_at=clock.start_at + dt.timedelta(days=1))
    case_services.case_close_publicity(case=case, by=None)
    url = reverse("publicity_appraisal_new", args=[case.pk])
    client = login(clerk_a)
    page = client.get(url).content.decode()
    assert "来信反映。" in page and "签字记录扫描件" in page
    bad = client.post(url, {"held_on": timezone.localdate().isoformat(), "place": "村委会",
                            "chair": "张书记", "recorder": "李会计",
                            "participants": "王一，村民代表\n王二", "votes_for": 2,
                            "votes_against": 0, "votes_abstain": 0, "outcome": "supported",
                            "minutes": "评议情况。", "scan": files.scan_upload()})
    assert bad.status_code == 400
    assert "民主评议参加人员不少于3人" in bad.content.decode()
    response = client.post(url, {
        "held_on": timezone.localdate().isoformat(), "place": "村委会会议室", "chair": "张书记",
        "recorder": "李会计",
        "participants": "王一，村民代表\n王二，村(居)委成员\n王三，党员代表\n王四，镇街工作人员",
        "votes_for": 3, "votes_against": 1, "votes_abstain": 0, "outcome": "supported",
        "minutes": "反映情况经核实不属实。", "scan": files.scan_upload()})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_SIGN_OFF
    appraisal = case.appraisals.get()
    assert appraisal.participants[1] == {"name": "王二", "capacity": "村(居)委成员"}
    scan_url = reverse("publicity_appraisal_scan", args=[appraisal.publicity_record.pk])
    scan = client.get(scan_url)
    assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
    assert scan["Cache-Control"] == "private, no-store"  # like every other personal file


def test_the_appraisal_scan_is_404_outside_the_township(village_a, staff_a, clerk_a,
                                                       clerk_b):
    from cases import services as case_services
    from publicity import services
    from tests.publicity.test_services import _appraise

    case, _entry = publicize(HouseholdFactory(village=village_a), days_ago=10, **staff_a)
    clock = case.deadlines.get(kind="publicity")
    services.objection_record_for_case(case=case, by=clerk_a, channel="phone", content="异议",
                                       lodged_at=clock.start_at + dt.timedelta(days=1))
    case_services.case_close_publicity(case=case, by=None)
    record = _appraise(case, clerk_a)
    url = reverse("publicity_appraisal_scan", args=[record.pk])
    assert login(clerk_b).get(url).status_code == 404
    assert login(clerk_a).get(url).status_code == 200
