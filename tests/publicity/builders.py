"""Cases put into publicity the honest way: through the services, on a simulated clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from cases import services
from cases.demo_cases import calculate, confirm_posting
from cases.workflow import CaseKind
from publicity.services import enlist


def publicize(household, *, clerk, verifier, leader, kind: str = CaseKind.DIBAO,
              hardship: str = "家庭成员患病，无稳定收入。", amount: Decimal | None = None,
              opinion: str = "符合条件，同意纳入保障。", covered_persons: int | None = None,
              days_ago: float = 1, applicant=None, override_reason: str = "",
              posted: bool = True):
    """Register, accept, verify, visit, calculate and propose approval `days_ago` days back,
    put the case on its village's board sheet and (unless `posted=False`) confirm the sheet
    posted on the board at once, which starts the period. Returns (case, entry).

    The amount is the calculation's unless `amount` (with `override_reason`) is given."""
    start = timezone.now() - dt.timedelta(days=days_ago)
    with time_machine.travel(start, tick=False) as traveller:
        case = services.case_create(household=household, applicant=applicant or household.head,
                                    kind=kind, by=clerk, hardship=hardship)
        today = timezone.localdate()
        if kind in (CaseKind.DIBAO, CaseKind.TEKUN):
            for person in case.adult_members():
                services.authorization_record(case=case, person=person, signed_on=today,
                                              by=clerk)
        traveller.shift(dt.timedelta(hours=1))
        case = services.case_accept(case=case, by=clerk)
        services.verification_record(case=case, monthly_income=Decimal("300.00"),
                                     conclusion="家庭人均收入低于当地低保标准。", by=verifier)
        # The visit's day is the day it is made: an hour after the signatures may be past
        # midnight (a visit dated before the acceptance is refused).
        services.home_visit_record(case=case, visited_on=timezone.localdate(),
                                   investigators=["王强", "李娜"],
                                   findings="住房简陋，无大额财产。", by=clerk)
        traveller.shift(dt.timedelta(hours=1))
        calculate(case, by=clerk)
        case = services.case_propose_approval(case=case, by=clerk, amount=amount,
                                              opinion=opinion, covered_persons=covered_persons,
                                              override_reason=override_reason)
        entry = enlist(case, by=clerk)
        if posted:
            confirm_posting(case, by=clerk)
    case.refresh_from_db()
    entry.refresh_from_db()
    return case, entry
