"""Issuing: numbers, storage, hashes, the trail, corrections, rollbacks (S13, S17)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, Township
from cases.trail import verify_chain
from documents.kinds import DocumentKind
from documents.models import DocumentCounter, ImmutableDocumentError, IssuedDocument
from documents.services import (
    DocumentError,
    document_correct,
    document_issue,
    documents_issue_authorizations,
    documents_sweep_orphans,
    verify_documents,
)
from tests.documents.conftest import APPLICANT, issue, pdf_text, stored_bytes
from tests.factories import HouseholdFactory

K = DocumentKind
pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def _case(township, clerk, number: str) -> Case:
    village = township.villages.order_by("code").first()
    household = HouseholdFactory(village=village, members=1)
    return Case.objects.create(
        number=number, kind="dibao", household=household, applicant=household.head,
        township=township, village=village, applied_at=timezone.now(), created_by=clerk,
    )


# --- Numbers --------------------------------------------------------------------------------
@pytest.mark.clause("S13")
def test_numbers_are_sequential_per_township_year_and_kind(full_case, clerk_a, leader_a):
    first = issue(full_case, K.ACCEPTANCE, clerk_a)
    second = issue(full_case, K.ACCEPTANCE, clerk_a)
    other_kind = issue(full_case, K.APPROVAL_NOTICE, leader_a)
    assert (first.seq, second.seq, other_kind.seq) == (1, 2, 1)
    assert first.number == f"兰山街道〔{YEAR}〕受字第0001号"
    assert second.number == f"兰山街道〔{YEAR}〕受字第0002号"
    assert other_kind.number == f"兰山街道〔{YEAR}〕批字第0001号"


@pytest.mark.clause("S13")
def test_each_township_counts_its_own_numbers(full_case, clerk_a, township_b, clerk_b):
    issue(full_case, K.ACCEPTANCE, clerk_a)
    other = _case(township_b, clerk_b, "DB-B-1")
    doc = issue(other, K.ACCEPTANCE, clerk_b)
    assert doc.number == f"枣园镇〔{YEAR}〕受字第0001号"


@pytest.mark.clause("S13")
def test_a_new_year_starts_again_at_one(full_case, clerk_a, time_machine):
    issue(full_case, K.ACCEPTANCE, clerk_a)
    time_machine.move_to(dt.datetime(YEAR + 1, 1, 2, 9, tzinfo=dt.UTC))
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    assert doc.number == f"兰山街道〔{YEAR + 1}〕受字第0001号" and doc.year == YEAR + 1


@pytest.mark.clause("S13")
def test_a_failed_issue_gives_its_number_back(full_case, clerk_a, monkeypatch):
    issue(full_case, K.ACCEPTANCE, clerk_a)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("documents.services.append_event", fail)
    with pytest.raises(RuntimeError), transaction.atomic():
        document_issue(case=full_case, kind=K.ACCEPTANCE, by=clerk_a)
    monkeypatch.undo()
    assert issue(full_case, K.ACCEPTANCE, clerk_a).seq == 2  # no gap


@pytest.mark.clause("S13")
def test_a_caller_rollback_gives_the_number_back(full_case, clerk_a):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        document_issue(case=full_case, kind=K.ACCEPTANCE, by=clerk_a)
        1 / 0  # noqa: B018 - the case service fails after issuing
    assert not IssuedDocument.objects.exists()
    assert issue(full_case, K.ACCEPTANCE, clerk_a).seq == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_document_issue_refuses_to_run_outside_a_transaction(full_case, clerk_a):
    with pytest.raises(RuntimeError, match="transaction"):
        document_issue(case=full_case, kind=K.ACCEPTANCE, by=clerk_a)


def test_per_member_kinds_need_a_member(full_case, clerk_a):
    with pytest.raises(DocumentError, match="逐人"):
        issue(full_case, K.AUTHORIZATION, clerk_a)


@pytest.mark.clause("S15")
def test_one_authorization_per_adult_member(full_case, clerk_a, people):
    with transaction.atomic():
        docs = documents_issue_authorizations(case=full_case, by=clerk_a)
    assert {d.person for d in docs} == {people["applicant"], people["spouse"]}  # not the child
    assert [d.seq for d in docs] == [1, 2]


# --- Stored as issued -------------------------------------------------------------------------
@pytest.mark.clause("S17")
def test_the_stored_file_matches_its_hash_and_frozen_context(full_case, clerk_a):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    content = stored_bytes(doc)
    assert hashlib.sha256(content).hexdigest() == doc.sha256 and len(content) == doc.size
    assert doc.context["number"] == doc.number and doc.context["applicant"]["name"] == APPLICANT
    assert doc.template_version.startswith("v1-") and doc.pages == 1
    assert doc.household == full_case.household and doc.township == full_case.township


@pytest.mark.clause("S17")
def test_issuing_appends_a_trail_event(full_case, clerk_a):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    event = CaseEvent.objects.get(case=full_case, action="document_issued")
    assert event.actor == clerk_a
    assert event.payload["kind"] == "acceptance_notice"
    assert event.payload["number"] == doc.number and event.payload["sha256"] == doc.sha256
    assert verify_chain(full_case.pk) is None


@pytest.mark.clause("S17")
def test_editing_the_case_afterwards_does_not_change_the_stored_pdf(full_case, clerk_a,
                                                                      people):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    before = stored_bytes(doc)
    people["applicant"].name = "王改名"
    people["applicant"].save()
    Case.objects.filter(pk=full_case.pk).update(hardship="已修改")
    doc.refresh_from_db()
    assert stored_bytes(doc) == before
    assert APPLICANT in pdf_text(before) and "王改名" not in pdf_text(before)
    assert verify_documents() == []


@pytest.mark.clause("S17")
def test_an_issued_document_cannot_be_saved_again_or_deleted(full_case, clerk_a):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    doc.title = "改动"
    with pytest.raises(ImmutableDocumentError):
        doc.save()
    with pytest.raises(ImmutableDocumentError):
        doc.delete()


@pytest.mark.clause("S17")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger exists on PostgreSQL")
def test_the_database_refuses_updates_and_deletes_of_issued_documents(full_case, clerk_a):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.filter(pk=doc.pk).update(title="改动")
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedDocument.objects.filter(pk=doc.pk)._raw_delete(connection.alias)


@pytest.mark.clause("S17")
def test_hash_verification_catches_a_modified_file(full_case, clerk_a):
    good = issue(full_case, K.ACCEPTANCE, clerk_a)
    bad = issue(full_case, K.ONE_TIME_NOTICE, clerk_a)
    with open(bad.pdf.path, "r+b") as fh:
        fh.seek(200)
        fh.write(b"X")
    found = verify_documents()
    assert [(m.document_id, m.number) for m in found] == [(bad.pk, bad.number)]
    assert "SHA-256" in found[0].reason
    assert good.pk not in {m.document_id for m in found}


@pytest.mark.clause("S17")
def test_hash_verification_catches_a_missing_file(full_case, clerk_a):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    doc.pdf.storage.delete(doc.pdf.name)
    assert [m.reason for m in verify_documents()] == ["文件缺失"]


# --- Corrections ----------------------------------------------------------------------------
@pytest.mark.clause("S17")
def test_a_correction_supersedes_and_both_stay(full_case, clerk_a, people):
    old = issue(full_case, K.ACCEPTANCE, clerk_a)
    old_bytes = stored_bytes(old)
    people["applicant"].name = "王秀荣"
    people["applicant"].save()
    new = document_correct(document=old, by=clerk_a, reason="申请人姓名录入错误")
    old.refresh_from_db()
    assert new.supersedes == old and old.is_superseded and not new.is_superseded
    assert new.number != old.number and new.seq == old.seq + 1
    assert "王秀荣" in pdf_text(stored_bytes(new))
    assert stored_bytes(old) == old_bytes
    assert IssuedDocument.objects.count() == 2
    event = CaseEvent.objects.filter(case=full_case, action="document_issued").last()
    assert event.payload["supersedes"] == old.number and event.note == "申请人姓名录入错误"


def test_a_correction_keeps_the_member_and_parameters(full_case, clerk_a, people):
    old = issue(full_case, K.PROXY, clerk_a, extra={"agent_name": "刘海燕"})
    new = document_correct(document=old, by=clerk_a, reason="受托人电话有误")
    assert new.extra == {"agent_name": "刘海燕"} and "刘海燕" in pdf_text(stored_bytes(new))
    auth = issue(full_case, K.AUTHORIZATION, clerk_a, person=people["spouse"])
    assert document_correct(document=auth, by=clerk_a, reason="重打").person == people["spouse"]


def test_a_correction_needs_a_reason_and_the_latest_document(full_case, clerk_a):
    old = issue(full_case, K.ACCEPTANCE, clerk_a)
    with pytest.raises(DocumentError, match="理由"):
        document_correct(document=old, by=clerk_a, reason=" ")
    document_correct(document=old, by=clerk_a, reason="更正")
    with pytest.raises(DocumentError, match="已被更正"):
        document_correct(document=old, by=clerk_a, reason="再次更正")


# --- Files of rolled-back issues ------------------------------------------------------------
def test_files_of_rolled_back_issues_are_swept(full_case, clerk_a):
    kept = issue(full_case, K.ACCEPTANCE, clerk_a)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        orphan = document_issue(case=full_case, kind=K.ACCEPTANCE, by=clerk_a)
        1 / 0  # noqa: B018
    storage = kept.pdf.storage
    assert storage.exists(orphan.pdf.name)
    assert documents_sweep_orphans() == []  # too young: may belong to a live transaction
    assert documents_sweep_orphans(older_than=dt.timedelta(0)) == [orphan.pdf.name]
    assert not storage.exists(orphan.pdf.name) and storage.exists(kept.pdf.name)


def test_a_failure_inside_issue_leaves_no_file(full_case, clerk_a, monkeypatch, settings):
    def fail(*args, **kwargs):
        raise RuntimeError("trail unavailable")

    monkeypatch.setattr("documents.services.append_event", fail)
    with pytest.raises(RuntimeError), transaction.atomic():
        document_issue(case=full_case, kind=K.ACCEPTANCE, by=clerk_a)
    folder = settings.MEDIA_ROOT / "documents"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.clause("S13")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_twenty_parallel_issues_get_twenty_consecutive_numbers(township_a, clerk_a):
    """20 threads, 20 cases of one township, one counter row created on the fly."""
    cases = [_case(township_a, clerk_a, f"DB-P-{i:02d}") for i in range(20)]
    assert not DocumentCounter.objects.exists()
    barrier = threading.Barrier(len(cases))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def work(case_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                case = Case.objects.select_for_update().get(pk=case_id)
                doc = document_issue(case=case, kind=K.ACCEPTANCE, by=clerk_a)
            numbers.append(doc.number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(c.pk,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    expected = {f"兰山街道〔{YEAR}〕受字第{n:04d}号" for n in range(1, 21)}
    assert sorted(numbers) == sorted(expected)
    assert DocumentCounter.objects.get(township=township_a, kind="acceptance_notice") \
        .last_number == 20
    assert Township.objects.get(pk=township_a.pk)  # the township row is untouched


def test_the_sweep_command_lists_and_removes_unreferenced_files(full_case, clerk_a):
    from io import StringIO

    from django.core.management import call_command

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        orphan = document_issue(case=full_case, kind=K.ACCEPTANCE, by=clerk_a)
        1 / 0  # noqa: B018
    out = StringIO()
    call_command("sweep_document_files", "--dry-run", stdout=out)
    assert orphan.pdf.name in out.getvalue()
    call_command("sweep_document_files", "--older-than-minutes", "0", stdout=StringIO())
    assert not orphan.pdf.storage.exists(orphan.pdf.name)
