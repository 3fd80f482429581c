"""The acceptance bundle (S15, 最多跑一次): everything to sign at one visit, in one PDF.

Application, one verification authorization per adult member (for 低保/特困, S2), integrity
declaration, proxy authorization and the one-time notice, pre-filled from the database.

`draft_bundle_pdf(...)` prints them before acceptance from the acceptance draft, with nothing
saved. `bundle_pdf(case)` prints the forms for signature without numbering them (a printout is not
an issued document). `bundle_issue(case=..., by=...)` issues each form as a numbered document
inside the caller's transaction, and `merge_pdfs` puts the stored files into one PDF.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from cases.agents import case_agent, case_agent_record
from cases.errors import CaseActionError
from cases.models import Case, Household, Person
from cases.workflow import AUTHORIZATION_KINDS
from documents.context import DocumentDataError, build_context, freeze
from documents.kinds import BUNDLE_KINDS, DocumentKind
from documents.models import IssuedDocument
from documents.render import render_pdf
from documents.services import document_issue


def bundle_parts(case: Case) -> list[tuple[DocumentKind, Person | None]]:
    """(kind, member) for each form of the bundle, in printing order; the 委托授权书 exactly
    when the case has a delegate on record (`cases.agents`)."""
    has_agent = case_agent(case) is not None
    parts: list[tuple[DocumentKind, Person | None]] = []
    for kind in BUNDLE_KINDS:
        if kind == DocumentKind.PROXY and not has_agent:
            continue
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


DRAFT_NUMBER = "受理后编号"


def draft_bundle_pdf(*, by, household: Household | None, new_household, kind: str,
                     applicant_id_number: str, hardship: str, agent: dict | None,
                     declared_incomes: dict[str, str | None] | None = None) -> bytes:
    """The bundle to sign before acceptance, from the acceptance draft (S2, S15).

    The household (saved, or `new_household` = (unsaved household, member dicts) run through
    `household_save`), the case and its delegate (`agent`, recorded as acceptance will record
    it) exist only inside a transaction that is rolled back: the contexts are read from them,
    then everything is undone. No case number is drawn, no clock
    starts and nothing is issued; the forms print "受理后编号" where the number goes.
    `declared_incomes` ({ID number: amount or None}) are recorded on that case by the same
    service as at acceptance, so the 申请书 prints them as it will once accepted.
    """
    from cases.households import household_save
    from cases.incomes import declared_incomes_record
    from cases.models import PersonChange
    from cases.workflow import CaseStatus

    now = timezone.now()
    contexts = []
    with transaction.atomic():
        if household is None:
            unsaved, members = new_household
            household = household_save(household=unsaved, members=members, by=by,
                                        source=PersonChange.Source.ACCEPTANCE)
        household = Household.objects.select_related("village__township").get(pk=household.pk)
        people = {m.person.id_number: m.person for m in household.current_members()}
        applicant = people.get(applicant_id_number)
        if applicant is None:
            raise DocumentDataError("申请人已不是该家庭的在册成员，请返回第一步重新选择家庭。")
        case = Case(number=f"{DRAFT_NUMBER}-{uuid.uuid4().hex[:16]}", kind=kind,
                    household=household, applicant=applicant,
                    township=household.village.township, village=household.village,
                    hardship=hardship, applied_at=now, created_by=by,
                    status=CaseStatus.RECEIVED)
        case.save()
        if declared_incomes is not None:
            if any(number not in people for number in declared_incomes):
                raise DocumentDataError("家庭成员在第一步之后有变动，请返回第一步重新核对。")
            try:
                declared_incomes_record(case=case, incomes={
                    people[number]: amount for number, amount in declared_incomes.items()},
                    by=by)
            except CaseActionError as exc:
                raise DocumentDataError(exc.message) from exc
        if agent:
            try:
                case_agent_record(case=case, by=by, **agent)
            except CaseActionError as exc:
                raise DocumentDataError(exc.message) from exc
        for part_kind, person in bundle_parts(case):
            ctx = freeze(build_context(part_kind, case=case, person=person, by=by))
            ctx["case"]["number"] = DRAFT_NUMBER
            contexts.append((part_kind, ctx))
        transaction.set_rollback(True)
    return merge_pdfs(render_pdf(part_kind, ctx) for part_kind, ctx in contexts)


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
