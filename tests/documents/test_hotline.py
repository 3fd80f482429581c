"""A notice is never printed with a blank hotline (S13, S22): the township's 救助服务电话 is
how applicants ask and object, and the bureau keeps it in the admin."""

from __future__ import annotations

import pytest
from django.template.loader import get_template
from django.utils import timezone

from cases import services
from cases.errors import CaseActionError
from cases.models import Case, CaseEvent
from cases.workflow import CaseKind, CaseStatus
from documents.kinds import HOTLINE_KINDS, SPECS, DocumentKind
from documents.models import DocumentCounter, IssuedDocument
from documents.services import DocumentError
from tests.documents.conftest import issue, pdf_text
from tests.factories import HouseholdFactory

K = DocumentKind
pytestmark = pytest.mark.django_db


def _without_hotline(township, value: str = "") -> None:
    township.hotline = value
    township.save(update_fields=["hotline"])


@pytest.mark.clause("S13")
def test_a_notice_that_prints_the_hotline_is_refused_while_the_township_has_none(
        full_case, clerk_a):
    """Guard: documents.services.require_hotline (called by document_issue)."""
    township = full_case.township
    _without_hotline(township)
    events = CaseEvent.objects.filter(case=full_case).count()
    with pytest.raises(DocumentError) as refused:
        issue(full_case, K.ACCEPTANCE, clerk_a)
    assert refused.value.code == "hotline_missing"
    message = refused.value.message
    assert "兰山街道的救助服务电话尚未填写" in message
    assert "社会救助申请受理通知书不能出具" in message
    assert f"/admin/cases/township/{township.pk}/change/" in message
    assert "镇街(经开区)" in message
    # Nothing changed: no document, no number used, nothing on the trail.
    assert not IssuedDocument.objects.filter(case=full_case).exists()
    assert not DocumentCounter.objects.filter(township=township).exists()
    assert CaseEvent.objects.filter(case=full_case).count() == events


@pytest.mark.clause("S13")
@pytest.mark.parametrize("kind", sorted(HOTLINE_KINDS), ids=str)
def test_every_kind_that_prints_the_hotline_is_refused_without_one(full_case, leader_a, kind):
    _without_hotline(full_case.township, "   ")  # blanks only count as none
    with pytest.raises(DocumentError) as refused:
        issue(full_case, kind, leader_a)
    assert refused.value.code == "hotline_missing"
    assert not IssuedDocument.objects.filter(case=full_case).exists()


@pytest.mark.clause("S13")
def test_a_document_without_the_hotline_is_still_issued_while_the_township_has_none(
        full_case, clerk_a):
    _without_hotline(full_case.township)
    document = issue(full_case, K.APPLICATION, clerk_a)
    assert document.number


@pytest.mark.clause("S13")
def test_the_notice_prints_the_township_hotline_once_it_is_filled_in(full_case, clerk_a):
    full_case.township.hotline = "0539-8123456"
    full_case.township.save(update_fields=["hotline"])
    document = issue(full_case, K.ACCEPTANCE, clerk_a)
    text = pdf_text(document.pdf.open("rb").read())
    assert "咨询电话：0539-8123456" in text


def test_the_kinds_flagged_as_printing_the_hotline_are_those_whose_template_prints_it():
    """The flag in documents/kinds.py follows the templates: a template that starts printing
    `township.hotline` without the flag (or stops, with it) fails here."""
    printing = {kind for kind, spec in SPECS.items()
                if "township.hotline" in get_template(spec.template).template.source}
    assert printing == set(HOTLINE_KINDS)
    assert {K.ACCEPTANCE, K.ONE_TIME_NOTICE, K.APPROVAL_NOTICE, K.REJECTION,
            K.ADJUSTMENT} <= printing


@pytest.mark.clause("S13")
def test_accepting_an_application_at_a_township_without_a_hotline_is_refused_as_a_whole(
        village_a, clerk_a):
    """The case service's transaction rolls back with the document: the page, the API and the
    admin, which all call `case_accept`, get the same refusal."""
    household = HouseholdFactory(village=village_a, members=1)
    case = services.case_create(household=household, applicant=household.head,
                                kind=CaseKind.DIBAO, by=clerk_a, hardship="无稳定收入。")
    for person in case.adult_members():
        services.authorization_record(case=case, person=person,
                                      signed_on=timezone.localdate(), by=clerk_a)
    _without_hotline(village_a.township)
    before = case.status
    with pytest.raises(CaseActionError) as refused:
        services.case_accept(case=case, by=clerk_a)
    assert "救助服务电话尚未填写" in refused.value.message
    case = Case.objects.get(pk=case.pk)
    assert case.status == before != CaseStatus.INVESTIGATING
    assert not IssuedDocument.objects.filter(case=case, kind=K.ACCEPTANCE).exists()
