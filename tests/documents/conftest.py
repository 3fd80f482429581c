"""Fixtures for the documents tests: one dibao case in 兰山街道 with everything its documents
draw on, created through the ORM, and helpers to issue documents and read PDFs back."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from cases import idnumber
from cases.models import (
    Appraisal,
    Case,
    Deadline,
    HomeVisit,
    Household,
    Membership,
    Objection,
    Person,
    Relationship,
    VerificationAuthorization,
    VerificationReport,
)
from documents.services import document_issue

APPLICANT = "王秀英"
SPOUSE = "李德明"
CHILD = "李子涵"
CASE_NUMBER = "DB-371302001-2026-0007"


def pdf_text(content: bytes) -> str:
    """The PDF's text with all whitespace removed (CJK text is compared without spacing)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content,
                             capture_output=True, check=True).stdout.decode("utf-8")
    else:  # pragma: no cover - poppler-utils is installed on the CI machine
        out = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", "", out)


def page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def issue(case: Case, kind, by, **kwargs):
    """Issue a document the way a case service does: in a transaction, case row locked."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        return document_issue(case=locked, kind=kind, by=by, **kwargs)


def stored_bytes(document) -> bytes:
    with document.pdf.open("rb") as fh:
        return fh.read()


def _person(name: str, born: dt.date, order: int, **fields) -> Person:
    number = idnumber.make_number("371302", born, order)
    return Person.objects.create(name=name, id_number=number, hukou_type="rural", **fields)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """A media folder per test, so stored files of one test never meet another's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people(db):
    return {
        "applicant": _person(APPLICANT, dt.date(1950, 1, 1), 124, phone="13805391234",
                             health="chronic", labour_capacity="partial"),
        "spouse": _person(SPOUSE, dt.date(1948, 3, 9), 131, occupation="务农"),
        "child": _person(CHILD, dt.date(2015, 6, 1), 142),
    }


@pytest.fixture
def household(village_a, people):
    household = Household.objects.create(
        village=village_a, address="兰山街道前十社区和平路18号", hukou_type="rural",
        head=people["applicant"], bank_name="临沂农商银行", bank_account="6228480000001234567",
    )
    Membership.objects.create(household=household, person=people["applicant"],
                              relationship=Relationship.HEAD)
    Membership.objects.create(household=household, person=people["spouse"],
                              relationship=Relationship.SPOUSE)
    Membership.objects.create(household=household, person=people["child"],
                              relationship=Relationship.GRANDCHILD)
    return household


@pytest.fixture
def case(household, people, township_a, village_a, clerk_a):
    case = Case.objects.create(
        number=CASE_NUMBER, kind="dibao", household=household, applicant=people["applicant"],
        township=township_a, village=village_a, applied_at=timezone.now(), created_by=clerk_a,
        hardship="王秀英患慢性病，配偶年老体弱，家庭收入微薄，生活困难。",
    )
    return case


@pytest.fixture
def full_case(case, people, clerk_a, verifier_a, leader_a):
    """The case with everything on file: authorizations, verification and recheck reports,
    objections, a home visit, an appraisal, clocks and amounts."""
    now = timezone.now()
    for key in ("applicant", "spouse"):
        VerificationAuthorization.objects.create(case=case, person=people[key],
                                                 signed_on=now.date(), recorded_by=clerk_a)
    VerificationReport.objects.create(
        case=case, monthly_income=Decimal("600.00"), assets_note="无房产、车辆登记。",
        conclusion="家庭月人均收入低于当地低保标准。", recorded_by=verifier_a,
        recorded_at=now - dt.timedelta(days=6),
    )
    Objection.objects.create(case=case, kind="verification", channel="in_person",
                             content="申请人认为核对结果中的养老金数额有误。",
                             lodged_at=now - dt.timedelta(days=5), recorded_by=clerk_a)
    VerificationReport.objects.create(
        case=case, is_recheck=True, monthly_income=Decimal("540.00"), assets_note="无",
        conclusion="经复核，养老金按实际到账数额计算，家庭月收入540.00元。",
        recorded_by=verifier_a, recorded_at=now - dt.timedelta(days=4),
    )
    HomeVisit.objects.create(
        case=case, visited_on=(now - dt.timedelta(days=3)).date(),
        investigators=[{"name": "赵立新", "role": "镇街工作人员"}, "孙春生"],
        findings="自建房两间，无大型农机，无车辆。", recorded_by=clerk_a,
    )
    Objection.objects.create(case=case, kind="publicity", channel="phone",
                             content="邻居反映其子女有赡养能力。",
                             lodged_at=now - dt.timedelta(days=2))
    Appraisal.objects.create(
        case=case, held_on=(now - dt.timedelta(days=1)).date(), place="前十社区会议室",
        chair="周文华", participants=[{"name": "周文华", "capacity": "社区书记"},
                                      {"name": "吴淑珍", "capacity": "居民代表"}, "马永福"],
        votes_for=12, votes_against=2, votes_abstain=1, outcome="supported",
        notes="经评议，子女均在外务工且收入低，赡养能力有限。", recorded_by=clerk_a,
        recorded_at=now - dt.timedelta(days=1),
    )
    Deadline.objects.create(case=case, kind="decision", clause="S4", unit="workday", amount=20,
                            start_at=now - dt.timedelta(days=7),
                            due_at=now + dt.timedelta(days=21))
    Deadline.objects.create(case=case, kind="publicity", clause="S6", unit="day", amount=7,
                            start_at=now - dt.timedelta(days=9),
                            due_at=now - dt.timedelta(days=2))
    Case.objects.filter(pk=case.pk).update(
        applied_at=now - dt.timedelta(days=8), accepted_at=now - dt.timedelta(days=7),
        decided_at=now,
        proposed_amount=Decimal("1234.50"), approved_amount=Decimal("1234.50"),
        covered_persons=3, review_opinion="经审核，符合低保条件，同意纳入保障。",
        decision_reason="家庭月人均收入高于当地低保标准。",
        aid_amount=Decimal("2000.00"), aid_reason="家中失火，生活用品损毁。",
        reported_at=now - dt.timedelta(days=2), aid_given_at=now - dt.timedelta(days=1),
    )
    case.refresh_from_db()
    return case
