"""A township's entitlements over the spring of 2025, built through the services on a frozen
clock, so that the rosters of April, May and June are known exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services
from cases.demo_cases import build_case
from cases.workflow import CaseKind, CaseStatus
from tests.factories import HouseholdFactory, PersonFactory, make_user

S = CaseStatus
SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.datetime(2025, 6, 20, 10, 0, tzinfo=SH)


def at(year, month, day, hour=10):
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=SH), tick=False)


@pytest.fixture
def no_documents(monkeypatch):
    """Issue the notices a move issues as blank one-page PDFs: a roster does not read them, and
    laying them out (WeasyPrint) is most of the time it takes to build a case."""
    import io

    from pypdf import PdfWriter

    from documents import services as document_services
    from documents.render import RenderedPdf

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    blank = RenderedPdf(content=buffer.getvalue(), pages=1)
    monkeypatch.setattr(document_services, "render_pdf_document", lambda kind, ctx: blank)


@pytest.fixture
def spring(staff, village_a, village_a2, village_b, no_documents):
    """Cases named by what happens to them; sign-offs of `days_ago=60` fall on 29 April."""
    from cases.permissions import Role

    def household(village, account, members=2):
        h = HouseholdFactory(village=village, members=members)
        h.bank_name, h.bank_account = "临沂农商银行", account
        h.save(update_fields=["bank_name", "bank_account"])
        return h

    township_b = village_b.township
    staff_b = {"clerk": make_user("clerk_b9", Role.CLERK, townships=[township_b]),
               "verifier": make_user("verifier_b9", Role.VERIFIER, townships=[township_b]),
               "leader": make_user("leader_b9", Role.LEADER, townships=[township_b])}
    with at(2025, 6, 20):
        cases = {
            "april": build_case(S.APPROVED, household=household(village_a, "6200000000000000001"),
                                days_ago=60, **staff),
            "suspended_april": build_case(S.SUSPENDED, household=household(
                village_a, "6200000000000000002"), days_ago=60, **staff),
            "terminated_april": build_case(S.TERMINATED, household=household(
                village_a2, "6200000000000000003"), days_ago=60, **staff),
            # 特困: the head is 69, unable to work by age (the calculation's condition), whatever
            # ages the factory hands out to earlier tests.
            "may": build_case(S.APPROVED, household=household(
                village_a2, "6200000000000000004",
                members=[PersonFactory(born=dt.date(1956, 3, 1)), PersonFactory()]),
                days_ago=35, kind=CaseKind.TEKUN, **staff),
            "suspended_june": build_case(S.APPROVED, household=household(
                village_a, "6200000000000000005"), days_ago=60, **staff),
            "other_township": build_case(S.APPROVED, household=household(
                village_b, "6200000000000000006"), days_ago=60, **staff_b),
            "emergency": build_case(S.CLOSED, household=household(village_a, "6200000000000009"),
                                    days_ago=60, **staff),
            "pending": build_case(S.AWAITING_SIGN_OFF, household=household(
                village_a, "6200000000000000007"), days_ago=20, **staff),
        }
    with at(2025, 6, 5):
        services.case_suspend(case=cases["suspended_june"], by=staff["leader"],
                              reason="外出务工，暂停发放。")
        services.case_adjust(case=cases["april"], by=staff["leader"], amount=Decimal("700.00"),
                             reason="家庭人口变化，调整保障金。",
                             override_reason="家庭人口变化，按复核情况核定。")
    for case in cases.values():
        case.refresh_from_db()
    return cases
