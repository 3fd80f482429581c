"""The workflow's rules as questions of whether rows exist, and the page's answers to them.

A rule written as a queryset (`cases.rules.rule(holds_if_rows=…)`) must say what it said when
it read rows one by one, and the answer a case page reads for it in one statement
(`cases.answers`) must be the answer the rule gives alone.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import answers, rules
from cases.demo_cases import PATHS, build_case
from cases.models import Appraisal, HomeVisit, Membership, Objection, Relationship
from cases.views.case_pages import _people
from cases.workflow import CaseKind, CaseStatus
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
ROW_RULES = [getattr(rules, name) for name in dir(rules)
             if hasattr(getattr(rules, name), "rows")]


def _case(state, village, staff, **kw):
    return build_case(state, household=HouseholdFactory(village=village, members=2), **staff,
                      **kw)


def _fresh(case):
    return type(case).objects.select_related("household", "applicant").get(pk=case.pk)


def test_every_rule_that_reads_rows_is_a_row_question():
    assert {r.__name__ for r in ROW_RULES} == {
        "authorizations_complete", "applicant_not_already_covered", "has_verification_report",
        "has_recheck_report", "has_home_visit", "publicity_posted", "publicity_over",
        "no_publicity_objection",
        "has_publicity_objection", "has_appraisal", "objections_appraised",
        "appraisal_supports"}


def test_the_adult_birth_date_agrees_with_the_age_rule():
    person = PersonFactory.build()
    days = [dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2025, 3, 1),
            dt.date(2026, 1, 1), dt.date(2026, 12, 31)]
    for day in days:
        last = rules.adult_born_by(day)
        for born in (last - dt.timedelta(days=1), last, last + dt.timedelta(days=1),
                     dt.date(2008, 2, 29), dt.date(2006, 2, 28), dt.date(2006, 3, 1)):
            person.birth_date = born
            assert (person.age_on(day) >= rules.ADULT_AGE) == (born <= last), (day, born)


@pytest.mark.parametrize("state", list(PATHS))
def test_the_page_answers_every_rule_as_the_rule_answers_alone(village_a, staff, state):
    case = _case(state, village_a, staff)
    page_case = _fresh(case)
    _people(page_case, rules.questions(page_case, ROW_RULES))
    for rule in ROW_RULES:
        assert answers.known(page_case, rule.__name__) is not None, rule.__name__
        assert rule(page_case) == rule(_fresh(case)), (state, rule.__name__)


def test_a_home_visit_needs_two_investigators(village_a, staff):
    case = _case(S.INVESTIGATING, village_a, staff)
    case.home_visits.all().delete()
    HomeVisit.objects.create(case=case, visited_on=timezone.localdate(), investigators=["王强"],
                             findings="一人调查。", recorded_by=staff["clerk"])
    assert not rules.has_home_visit(case)
    HomeVisit.objects.create(case=case, visited_on=timezone.localdate(),
                             investigators=["王强", "李娜"], findings="两人调查。",
                             recorded_by=staff["clerk"])
    assert rules.has_home_visit(case)


def test_the_recheck_report_counts_only_after_the_last_objection(village_a, staff):
    case = _case(S.RECHECK, village_a, staff)
    assert rules.has_recheck_report(case)
    Objection.objects.create(case=case, kind=Objection.Kind.VERIFICATION, channel="phone",
                             content="再次提出异议。", lodged_at=timezone.now())
    assert not rules.has_recheck_report(case)
    investigating = _case(S.INVESTIGATING, village_a, staff)
    assert not rules.has_recheck_report(investigating)  # no objection, no recheck


def test_publicity_is_over_only_after_its_clock(village_a, staff):
    assert rules.publicity_over(_case(S.IN_PUBLICITY, village_a, staff, days_ago=25))
    assert not rules.publicity_over(_case(S.IN_PUBLICITY, village_a, staff, days_ago=2))
    assert not rules.publicity_over(_case(S.INVESTIGATING, village_a, staff))


def test_objections_need_an_appraisal_after_the_last_one_and_a_supporting_last_appraisal(
        village_a, staff):
    case = _case(S.AWAITING_APPRAISAL, village_a, staff)
    assert rules.has_publicity_objection(case) and not rules.no_publicity_objection(case)
    assert not rules.objections_appraised(case) and not rules.has_appraisal(case)
    assert rules.appraisal_supports(case)  # no appraisal yet

    def appraisal(outcome, at):
        Appraisal.objects.create(case=case, held_on=timezone.localdate(), place="村委会",
                                 chair="张书记", participants=[], votes_for=5, outcome=outcome,
                                 recorded_by=staff["clerk"], recorded_at=at)

    now = timezone.now()
    appraisal(Appraisal.Outcome.SUPPORTED, now)
    assert rules.objections_appraised(case) and rules.appraisal_supports(case)
    Objection.objects.create(case=case, kind=Objection.Kind.PUBLICITY, channel="phone",
                             content="又一条异议。", lodged_at=now + dt.timedelta(minutes=1))
    assert not rules.objections_appraised(case)
    appraisal(Appraisal.Outcome.NOT_SUPPORTED, now + dt.timedelta(minutes=2))
    assert rules.objections_appraised(case) and not rules.appraisal_supports(case)


def test_authorizations_are_complete_when_every_adult_signed(village_a, staff):
    case = _case(S.RECEIVED, village_a, staff)
    assert rules.authorizations_complete(case)
    child = PersonFactory(born=case.applied_at.date() - dt.timedelta(days=365 * 10))
    Membership.objects.create(household=case.household, person=child,
                              relationship=Relationship.SON)
    assert rules.authorizations_complete(case)  # a minor signs nothing
    adult = PersonFactory(born=rules.adult_born_by(case.applied_at.date()))
    Membership.objects.create(household=case.household, person=adult,
                              relationship=Relationship.SON)
    assert not rules.authorizations_complete(case)  # 18 on the day of the application
    assert [p.pk for p in case.adults_without_authorization()] == [adult.pk]
    emergency = build_case(S.EMERGENCY_REPORTED, household=HouseholdFactory(
        village=village_a, members=2), **staff)
    assert emergency.kind == CaseKind.TEMP_EMERGENCY
    assert rules.authorizations_complete(emergency)


def test_a_live_case_of_a_member_blocks_a_second_application(village_a, staff):
    covered = _case(S.APPROVED, village_a, staff)
    assert rules.applicant_not_already_covered(covered)  # its own case does not count
    household = HouseholdFactory(village=village_a, members=1)
    second = build_case(S.RECEIVED, household=household, **staff)
    assert rules.applicant_not_already_covered(second)
    # The covered applicant moves into the household that has applied.
    Membership.objects.filter(person=covered.applicant).update(ended_on=timezone.localdate())
    Membership.objects.create(household=household, person=covered.applicant,
                              relationship=Relationship.SPOUSE)
    assert not rules.applicant_not_already_covered(second)
    assert list(second.conflicting_cases()) == [covered]
    expenditure = build_case(S.RECEIVED, household=household, kind=CaseKind.TEMP_EXPENDITURE,
                             **staff)
    assert rules.applicant_not_already_covered(expenditure)  # 临时救助 is not excluded


@pytest.mark.clause("S10")
def test_publicity_ends_by_one_move_only_chosen_by_whether_anyone_objected(village_a, staff):
    """The routing rules hide the move they rule out: with no objection only 公示期满无异议 is
    offered, with one only the move to the democratic appraisal."""
    from cases import services

    quiet = _case(S.IN_PUBLICITY, village_a, staff)
    names = [a["name"] for a in services.available_actions(quiet, staff["clerk"])]
    assert "end_publicity" in names and "end_publicity_with_objection" not in names
    case = _case(S.IN_PUBLICITY, village_a, staff)
    Objection.objects.create(case=case, kind=Objection.Kind.PUBLICITY, channel="phone",
                             content="有异议。", lodged_at=timezone.now())
    names = [a["name"] for a in services.available_actions(case, staff["clerk"])]
    assert "end_publicity_with_objection" in names and "end_publicity" not in names
