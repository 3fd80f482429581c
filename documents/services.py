"""Issuing documents (S13, S17): number, render, store, hash, freeze, trail.

`document_issue` runs inside the caller's transaction (the case service that accepts, rejects,
approves…), after the caller has locked the case row. Its own work runs in a savepoint, so a
failure leaves no number used and no file behind.

Stored files and rollbacks — the choice made here: the PDF is written to storage *before* the
row is inserted (a committed row therefore always has its file; the reverse order could commit
a row whose file is never written). If anything inside `document_issue` fails, the file is
deleted at once. If the *caller's* transaction rolls back after `document_issue` returned,
Django offers no rollback hook, so the file stays without a row: `documents_sweep_orphans()`
removes such files once they are older than an hour (long enough that no transaction still
in flight can own them). The verify_audit command (or a periodic task) should call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.errors import CaseActionError
from cases.models import Case, Person, Township
from cases.trail import append_event
from documents.context import (
    DocumentDataError,
    apply_seal_and_signature,
    build_context,
    freeze,
    leader_for,
)
from documents.kinds import HOTLINE_KINDS, DocumentKind
from documents.models import DocumentCounter, IssuedDocument
from documents.render import render_pdf_document, template_version

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed
CODE_LENGTH = 10
STORAGE_PREFIX = "documents/"


class DocumentError(CaseActionError):
    """A document cannot be issued or corrected: `code` for programs, `message` (Chinese) for
    people. A `CaseActionError`, so a case action that issues a document is refused as a whole
    with this message, and the case pages show it like any other refusal.
    """


# --- Numbers --------------------------------------------------------------------------------
def format_number(township: Township, year: int, kind: DocumentKind, seq: int) -> str:
    """兰山街道〔2026〕受字第0001号."""
    return f"{township.name}〔{year}〕{kind.prefix}字第{seq:04d}号"


def next_seq(township: Township, year: int, kind: DocumentKind) -> int:
    """Take the next number for (township, year, kind); call inside a transaction.

    The counter row is locked (`select_for_update`) until the transaction ends, so numbers are
    consecutive and, because the increment rolls back with the transaction, gap-free. A missing
    row is created with INSERT … ON CONFLICT DO NOTHING, which is safe when two transactions
    create it at once: the second waits for the first and then finds its row.
    """
    counters = DocumentCounter.objects.select_for_update()
    key = {"township": township, "year": year, "kind": kind.value}
    counter = counters.filter(**key).first()
    if counter is None:
        DocumentCounter.objects.bulk_create([DocumentCounter(**key)], ignore_conflicts=True)
        counter = counters.get(**key)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not IssuedDocument.objects.filter(code=code).exists():
            return code


def normalize_code(value: str) -> str:
    """A typed verification code without spaces or dashes, upper-cased."""
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()[:CODE_LENGTH + 4]


def verify_url(code: str) -> str:
    """The public check page for `code`, absolute on `DOCUMENTS_PUBLIC_BASE_URL` (required
    with DEBUG off, `documents.checks`), for the QR code a phone scans on a paper notice."""
    base = getattr(settings, "DOCUMENTS_PUBLIC_BASE_URL", "").rstrip("/")
    return base + reverse("verify_document", args=[code])


# --- Issuing --------------------------------------------------------------------------------
def require_hotline(township: Township, kind: DocumentKind) -> None:
    """Refuse a notice that would print the township's hotline while none is on file.

    Applicants call that number to ask and to object; a notice with a blank line would leave
    them none. The bureau keeps the number in the admin; the message names that page.

    Raises:
        DocumentError: `hotline_missing`.
    """
    if kind in HOTLINE_KINDS:
        require_township_hotline(township, kind.title)


def require_township_hotline(township: Township, what: str) -> None:
    """Refuse to print `what` (a notice, the publicity board sheet) while the township has no
    hotline on file: the message names the admin page where the bureau fills it in.

    Raises:
        DocumentError: `hotline_missing`.
    """
    if not (township.hotline or "").strip():
        page = reverse("admin:cases_township_change", args=[township.pk])
        raise DocumentError(
            "hotline_missing",
            f"{township.name}的救助服务电话尚未填写，{what}不能出具。请区民政局在管理后台"
            f"“镇街(经开区)”页面（{page}）填写救助服务电话后再办理。")


def _require_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("document_issue must run inside the caller's transaction.atomic()")


def document_issue(*, case: Case, kind: DocumentKind | str, by, person: Person | None = None,
                   extra: dict | None = None, supersedes: IssuedDocument | None = None,
                   reason: str = "") -> IssuedDocument:
    """Issue one numbered document for `case`, store it and record it on the case trail.

    Call inside the case service's `transaction.atomic()`, with the case row locked.

    Args:
        case: the case the document belongs to.
        kind: the document kind.
        by: the user issuing it (经办人; the leader for 审核审批表 when they issue it).
        person: the member a per-member document is for (核对授权书).
        extra: kind-specific values, JSON-serialisable (see `documents.context`).
        supersedes: the document this one corrects (use `document_correct`).
        reason: the correction's reason.

    Returns:
        The saved `IssuedDocument`.

    Raises:
        DocumentError: the data the document needs is missing (message in Chinese).
        RenderError: the template or WeasyPrint failed.
    """
    _require_atomic()
    kind = DocumentKind(kind)
    if kind.spec.per_member and person is None:
        raise DocumentError("person_required", f"{kind.title}须按家庭成员逐人出具，请指定成员。")
    township = case.township
    require_hotline(township, kind)
    extra = freeze(extra or {})
    issued_at = timezone.now()
    today = timezone.localdate(issued_at)
    try:
        ctx = build_context(kind, case=case, person=person, extra=extra, by=by, today=today)
    except DocumentDataError as exc:
        raise DocumentError("missing_data", str(exc)) from exc

    with transaction.atomic():  # a savepoint: a failure gives the number back
        seq = next_seq(township, today.year, kind)
        code = _new_code()
        number = format_number(township, today.year, kind, seq)
        ctx.update(number=number, code=code, code_display=f"{code[:5]}-{code[5:]}",
                   verify_url=verify_url(code))
        apply_seal_and_signature(ctx, township=township, leader=leader_for(by, extra))
        frozen = freeze(ctx)
        rendered = render_pdf_document(kind, frozen)
        digest = hashlib.sha256(rendered.content).hexdigest()
        document = IssuedDocument(
            kind=kind.value, title=frozen["doc_title"], case=case, household=case.household,
            person=person, township=township, year=today.year, seq=seq, number=number,
            code=code, sha256=digest, size=len(rendered.content), pages=rendered.pages,
            context=frozen, extra=extra, template_version=template_version(kind),
            issued_by=by, issued_at=issued_at, supersedes=supersedes,
            correction_reason=reason,
        )
        if kind == DocumentKind.DELIVERY_RECEIPT:
            document.serves_id = extra.get("document_id")
        if kind.needs_delivery:
            from documents.delivery import delivery_clock_start

            document.delivery_deadline = delivery_clock_start(
                case=case, issued_at=issued_at, supersedes=supersedes)
        document.pdf.save(f"{code}.pdf", ContentFile(rendered.content), save=False)
        try:
            document.save(force_insert=True)
            payload = {"kind": kind.value, "number": number, "sha256": digest,
                       "document_id": document.pk}
            if supersedes is not None:
                payload["supersedes"] = supersedes.number
            append_event(case, "document_issued", actor=by, note=reason, payload=payload)
        except BaseException:
            document.pdf.storage.delete(document.pdf.name)
            raise
    if kind.needs_delivery:
        # Its 送达回证, numbered with the notice, printed with it and signed on delivery.
        document_issue(case=case, kind=DocumentKind.DELIVERY_RECEIPT, by=by,
                       extra={"document_id": document.pk})
    return document


def document_correct(*, document: IssuedDocument, by, reason: str) -> IssuedDocument:
    """Issue a corrected document that supersedes `document`; both stay on file.

    The new document is rebuilt from the database as it is now (the data having been
    corrected), with the same kind, member and parameters, and gets a new number.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("reason_required", "更正文书必须写明更正理由。")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=document.case_id)
        old = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if old.is_superseded:
            raise DocumentError("already_superseded",
                                f"{old.number}已被更正，请对最新的文书进行更正。")
        return document_issue(case=case, kind=old.kind, by=by, person=old.person,
                              extra=old.extra, supersedes=old, reason=reason)


def documents_issue_authorizations(*, case: Case, by) -> list[IssuedDocument]:
    """One 家庭经济状况核对授权书 per adult member (S2); call inside the caller's transaction."""
    return [document_issue(case=case, kind=DocumentKind.AUTHORIZATION, by=by, person=p)
            for p in case.adult_members()]


# --- Integrity ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mismatch:
    document_id: int
    number: str
    reason: str

    def __str__(self) -> str:
        return f"文书{self.number}（ID {self.document_id}）：{self.reason}"


def file_sha256(name: str, storage=default_storage) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_documents() -> list[Mismatch]:
    """Recompute every stored PDF's SHA-256 against its row; the documents that do not match.
    """
    found: list[Mismatch] = []
    for document in IssuedDocument.objects.order_by("pk").only("pk", "number", "pdf", "sha256")\
            .iterator():
        try:
            digest = file_sha256(document.pdf.name, document.pdf.storage)
        except (FileNotFoundError, OSError):
            found.append(Mismatch(document.pk, document.number, "文件缺失"))
            continue
        if digest != document.sha256:
            found.append(Mismatch(document.pk, document.number,
                                  "文件内容与登记的SHA-256不符（已被改动）"))
    return found


def documents_sweep_orphans(*, older_than: dt.timedelta = dt.timedelta(hours=1),
                            storage=default_storage) -> list[str]:
    """Delete stored PDFs that no issued document refers to (left by rolled-back issues).

    Only files older than `older_than` are touched, so a transaction still in flight keeps
    its file.
    """
    cutoff = timezone.now() - older_than
    removed: list[str] = []
    for name in unreferenced_files(storage):
        if storage.get_modified_time(name) > cutoff:
            continue
        storage.delete(name)
        removed.append(name)
    return removed


def unreferenced_files(storage=default_storage) -> list[str]:
    """Stored PDFs under documents/ that no issued document refers to."""
    known = set(IssuedDocument.objects.values_list("pdf", flat=True))
    return [name for name in _walk(storage, STORAGE_PREFIX.rstrip("/")) if name not in known]


def _walk(storage, folder: str):
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _walk(storage, f"{folder}/{sub}")
