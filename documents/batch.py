"""Batch printing: the documents of several cases as one PDF.

The caller posts the checked cases (leader queue, case list, notices to deliver). Only cases
the user may see are printed: a case outside the user's places refuses the whole request with
a Chinese message (nothing is printed), as does a selection above `BATCH_LIMIT` cases. The
stored files are merged as issued, never re-rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases import scoping
from cases.models import Case
from documents.bundle import issued_pdf
from documents.models import IssuedDocument
from documents.selectors import notices_undelivered
from documents.services import DocumentError

BATCH_LIMIT = 50
SCOPE_DELIVER = "deliver"


@dataclass(frozen=True)
class Batch:
    cases: list[Case]
    documents: list[IssuedDocument]

    @property
    def pages(self) -> int:
        return sum(d.pages for d in self.documents)


def _case_ids(values) -> list[int]:
    ids: list[int] = []
    for value in values:
        value = str(value).strip()
        if not value.isdigit():
            raise DocumentError("batch_invalid", "所选案件无效，请重新选择。")
        ids.append(int(value))
    return list(dict.fromkeys(ids))


def batch_documents(*, user, case_ids, scope: str = "") -> Batch:
    """The documents to print for the checked cases, case by case in the order checked.

    `scope="deliver"`: each case's notices still to deliver (S16), each followed by its
    送达回证. Otherwise each case's current documents (corrected ones left out), in the order
    issued.

    Raises:
        DocumentError: no case, more than `BATCH_LIMIT`, a case outside the user's places,
            or nothing to print.
    """
    ids = _case_ids(case_ids)
    if not ids:
        raise DocumentError("batch_empty", "请至少选择一件案件。")
    if len(ids) > BATCH_LIMIT:
        raise DocumentError("batch_too_many",
                            f"一次最多打印{BATCH_LIMIT}件案件，您选择了{len(ids)}件，请分批打印。")
    visible = {c.pk: c for c in scoping.cases_visible_to(user).filter(pk__in=ids)}
    if len(visible) != len(ids):
        raise DocumentError("batch_scope",
                            f"所选案件中有{len(ids) - len(visible)}件不在您的管辖范围内或不存在，"
                            f"未打印任何文书。请重新选择。")
    cases = [visible[pk] for pk in ids]
    if scope == SCOPE_DELIVER:
        notices = list(notices_undelivered({c.township_id for c in cases})
                       .filter(case__in=ids).prefetch_related("receipts"))
        by_case: dict[int, list[IssuedDocument]] = {}
        for notice in notices:
            by_case.setdefault(notice.case_id, []).append(notice)
            by_case[notice.case_id].extend(notice.receipts.order_by("issued_at", "id"))
    else:
        by_case = {}
        for document in (IssuedDocument.objects.filter(case__in=ids, superseded_by__isnull=True)
                         .order_by("issued_at", "id")):
            by_case.setdefault(document.case_id, []).append(document)
    documents = [d for c in cases for d in by_case.get(c.pk, [])]
    if not documents:
        what = "待送达的告知书" if scope == SCOPE_DELIVER else "已出具的文书"
        raise DocumentError("batch_nothing", f"所选案件没有{what}可打印。")
    return Batch(cases=cases, documents=documents)


def batch_pdf(documents: list[IssuedDocument]) -> bytes:
    """The stored files merged in order."""
    return issued_pdf(documents)


