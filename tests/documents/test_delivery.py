"""Delivery of notices to the applicant, and the phone record after a failed delivery (S16)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import CaseEvent
from documents.delivery import PhoneRecord, delivery_attach_receipt, delivery_record
from documents.kinds import DocumentKind
from documents.models import Delivery, DeliveryMethod, DeliveryOutcome, PhoneNotification
from documents.remedies import remedies_for
from documents.selectors import notices_undelivered
from documents.services import DocumentError, document_correct
from tests.documents.conftest import issue
from tests.security.world import pdf_bytes

K = DocumentKind
pytestmark = pytest.mark.django_db


@pytest.fixture
def rejection(full_case, leader_a):
    return issue(full_case, K.REJECTION, leader_a)


def _phone(by, **overrides) -> PhoneRecord:
    values = {"phone_number": "13805391234", "called_at": timezone.now() - dt.timedelta(hours=1),
              "called_by": by, "spoke_with": "王秀英本人",
              "content": "告知不予批准决定及理由，并告知可申请行政复议或提起行政诉讼。"}
    values.update(overrides)
    return PhoneRecord(**values)


def _failed(document, by, **kwargs):
    return delivery_record(
        document=document, method=DeliveryMethod.POST, by=by, outcome=DeliveryOutcome.FAILED,
        attempted_at=timezone.now() - dt.timedelta(hours=2), failure_reason="邮件退回：查无此人",
        **kwargs)


@pytest.mark.clause("S16")
def test_a_failed_delivery_without_a_phone_record_is_refused(rejection, clerk_a):
    with pytest.raises(DocumentError, match="电话告知记录") as err:
        _failed(rejection, clerk_a)
    assert err.value.code == "phone_record_required"
    assert not Delivery.objects.exists()


@pytest.mark.clause("S16")
def test_an_incomplete_phone_record_is_refused(rejection, clerk_a):
    with pytest.raises(DocumentError, match="告知内容"):
        _failed(rejection, clerk_a, phone=_phone(clerk_a, content=" "))


@pytest.mark.clause("S16")
def test_a_failed_delivery_with_a_phone_record_is_kept_on_the_trail(rejection, clerk_a,
                                                                     full_case):
    delivery = _failed(rejection, clerk_a, phone=_phone(clerk_a))
    call = PhoneNotification.objects.get()
    assert call.delivery == delivery and call.document == rejection
    assert call.phone_number == "13805391234" and call.called_by == clerk_a
    event = CaseEvent.objects.filter(case=full_case).last()
    assert event.action == "document_delivery_failed"
    assert event.payload["phone_notification_id"] == call.pk
    assert delivery.received_on is None and delivery.reconsideration_until is None


@pytest.mark.clause("S16")
def test_telling_by_phone_also_needs_the_phone_record(rejection, clerk_a):
    with pytest.raises(DocumentError, match="电话方式"):
        delivery_record(document=rejection, method=DeliveryMethod.PHONE, by=clerk_a,
                        outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now())


@pytest.mark.clause("S16")
def test_leaving_the_notice_needs_witnesses(rejection, clerk_a):
    with pytest.raises(DocumentError, match="见证人"):
        delivery_record(document=rejection, method=DeliveryMethod.LEFT, by=clerk_a,
                        outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                        recipient="王秀英")


@pytest.mark.clause("S16")
def test_delivery_in_person_computes_the_remedy_deadlines(rejection, clerk_a, full_case):
    at = timezone.now() - dt.timedelta(hours=1)
    scan = SimpleUploadedFile("huizheng.pdf", pdf_bytes(), "application/pdf")
    delivery = delivery_record(document=rejection, method=DeliveryMethod.IN_PERSON, by=clerk_a,
                               outcome=DeliveryOutcome.DELIVERED, attempted_at=at,
                               recipient="王秀英", recipient_relation="本人", receipt_scan=scan)
    received = timezone.localdate(at)
    expected = remedies_for(received)
    assert delivery.received_on == received
    assert delivery.reconsideration_until == expected.reconsideration_until
    assert delivery.litigation_until == expected.litigation_until
    assert delivery.receipt_scan.name.endswith(".pdf")
    assert CaseEvent.objects.filter(case=full_case).last().action == "document_delivered"


@pytest.mark.clause("S16")
def test_a_receipt_scan_can_be_attached_once(rejection, clerk_a):
    delivery = delivery_record(document=rejection, method=DeliveryMethod.IN_PERSON, by=clerk_a,
                               outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                               recipient="王秀英")
    delivery_attach_receipt(delivery=delivery,
                            scan=SimpleUploadedFile("a.pdf", pdf_bytes()), by=clerk_a)
    delivery.refresh_from_db()
    assert delivery.receipt_scan
    with pytest.raises(DocumentError, match="不能替换"):
        delivery_attach_receipt(delivery=delivery,
                                scan=SimpleUploadedFile("b.pdf", pdf_bytes()), by=clerk_a)


@pytest.mark.clause("S16")
def test_documents_not_addressed_to_the_applicant_are_not_delivered(full_case, clerk_a):
    form = issue(full_case, K.HOME_VISIT, clerk_a)
    with pytest.raises(DocumentError, match="不是向申请人送达"):
        delivery_record(document=form, method=DeliveryMethod.IN_PERSON, by=clerk_a,
                        outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                        recipient="王秀英")


def test_the_undelivered_selector_filters_by_age_township_correction_and_phone_record(
        full_case, clerk_a, leader_a, township_a, township_b, time_machine):
    """`notices_undelivered` with its optional filters (`older_than_days`, `include_phoned`),
    which no page or task passes: a test of the query, not of S16. The clerk's workspace list
    that S16 relies on is proven in tests/documents/test_delivery_clock.py."""
    time_machine.move_to(timezone.now() - dt.timedelta(days=5))
    waiting = issue(full_case, K.REJECTION, leader_a)
    delivered = issue(full_case, K.ADJUSTMENT, leader_a, extra={"change": "suspend"})
    phoned = issue(full_case, K.ADJUSTMENT, leader_a, extra={"change": "terminate"})
    corrected = issue(full_case, K.REJECTION, leader_a)
    issue(full_case, K.ACCEPTANCE, clerk_a)  # no delivery required (not S16)
    time_machine.move_to(timezone.now() + dt.timedelta(days=5))
    replacement = document_correct(document=corrected, by=leader_a, reason="理由表述有误")
    delivery_record(document=delivered, method=DeliveryMethod.IN_PERSON, by=clerk_a,
                    outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                    recipient="王秀英")
    _failed(phoned, clerk_a, phone=_phone(clerk_a))

    assert list(notices_undelivered([township_a.pk], 3)) == [waiting]
    assert list(notices_undelivered([township_a.pk], 0)) == [waiting, replacement]
    assert set(notices_undelivered([township_a.pk], 3, include_phoned=True)) == {waiting, phoned}
    assert list(notices_undelivered([township_b.pk], 0)) == []
