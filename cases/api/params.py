"""Query parameters of the list endpoints (bounded pages, validated filters)."""

from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from cases.api.schemas import (
    CaseKindValue,
    CaseStatusValue,
    DeadlineKindValue,
    DeadlineStatusValue,
    storable,
)
from documents.kinds import DocumentKind

MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1  # the largest primary key (bigint)
Search = Annotated[str, Field(max_length=40), AfterValidator(storable)]
Code = Annotated[str, Field(pattern=r"^[0-9]{1,12}$")]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


class HouseholdQuery(PageQuery):
    q: Search = Field("", description="户主或成员姓名(开头)、完整身份证号或其后6位、住址")
    village: Code | None = Field(None, description="村(社区)区划代码")


class CaseQuery(PageQuery):
    q: Search = Field("", description="案件编号、申请人姓名(开头)、完整身份证号或其后6位")
    status: CaseStatusValue | None = None
    kind: CaseKindValue | None = None
    township: Code | None = Field(None, description="镇街区划代码")
    household: int | None = Field(None, ge=1, le=MAX_ID)


class DeadlineQuery(PageQuery):
    status: DeadlineStatusValue | None = None
    kind: DeadlineKindValue | None = None
    state: Literal["breached", "at_risk", "paused"] | None = None
    case: int | None = Field(None, ge=1, le=MAX_ID)


class DocumentQuery(PageQuery):
    kind: Literal[tuple(DocumentKind.values)] | None = None  # type: ignore[valid-type]
    case: int | None = Field(None, ge=1, le=MAX_ID)
    household: int | None = Field(None, ge=1, le=MAX_ID)


def page_of(queryset, query: PageQuery) -> tuple[int, list]:
    """The total and the rows of one bounded page (two queries whatever the size)."""
    count = queryset.count()
    start = (query.page - 1) * query.page_size
    return count, list(queryset[start:start + query.page_size])

