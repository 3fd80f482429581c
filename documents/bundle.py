"""The acceptance bundle (S15, 最多跑一次): everything to sign at one visit, in one PDF.

Application, one verification authorization per adult member (for 低保/特困, S2), integrity
declaration, proxy authorization and the one-time notice, pre-filled from the database.

`bundle_pdf(case)` prints the forms for signature without numbering them (a printout is not
an issued document). `bundle_issue(case=..., by=...)` issues each form as a numbered document
inside the caller's transaction, and `merge_pdfs` puts the stored files into one PDF.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from pypdf import PdfWriter

from cases.models import Case, Person
from cases.workflow import AUTHORIZATION_KINDS
from documents.context import build_context, freeze
from documents.kinds import BUNDLE_KINDS, DocumentKind
from documents.models import IssuedDocument
from documents.render import render_pdf
from documents.services import document_issue


def bundle_parts(case: Case) -> list[tuple[DocumentKind, Person | None]]:
    """(kind, member) for each form of the bundle, in printing order."""
    parts: list[tuple[DocumentKind, Person | None]] = []
    for kind in BUNDLE_KINDS:
        if kind.spec.per_member:
            if case.kind in AUTHORIZATION_KINDS:
                parts.extend((kind, person) for person in case.adult_members())
        else:
            parts.append((kind, None))
    return parts


def merge_pdfs(parts: Iterable[bytes]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bundle_pdf(case: Case, *, by=None) -> bytes:
    """The pre-filled signature bundle of `case` as one PDF (unnumbered printout)."""
    return merge_pdfs(
        render_pdf(kind, freeze(build_context(kind, case=case, person=person, by=by)))
        for kind, person in bundle_parts(case)
    )


def bundle_issue(*, case: Case, by) -> list[IssuedDocument]:
    """Issue every form of the bundle as a numbered document; inside the caller's
    `transaction.atomic()` with the case row locked."""
    return [document_issue(case=case, kind=kind, by=by, person=person)
            for kind, person in bundle_parts(case)]


def issued_pdf(documents: Iterable[IssuedDocument]) -> bytes:
    """Stored files of issued documents merged in the given order."""
    parts = []
    for document in documents:
        with document.pdf.open("rb") as fh:
            parts.append(fh.read())
    return merge_pdfs(parts)
