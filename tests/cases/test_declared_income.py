"""Each member's monthly income as the applicant declares it with the application (申报月收入):
recorded with the case by one service in the case's transaction, on the trail, once; a refused
amount saves nothing, neither the incomes nor the case. Entered on acceptance screen 1 (a new
household's members, or an existing household's) and on the household page's 登记救助申请."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cases import idnumber, services
from cases.errors import CaseActionError
from cases.forms_case import income_field_name
from cases.incomes import declared_incomes_record
from cases.models import Case, CaseEvent, DeclaredIncome
from cases.models.events import EVENT_LABELS
from cases.views.acceptance import DRAFT_KEY
from tests.cases.test_acceptance_flow import (
    CASE,
    CHILD_ID,
    HEAD_ID,
    START,
    accept,
    new_household_post,
)
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]


def _members(household):
    return [m.person for m in household.current_members().order_by("id")]


def _create(household, by, incomes):
    head, *_ = _members(household)
    return services.case_create(household=household, applicant=head, kind="dibao",
                                hardship="无稳定收入。", by=by, declared_incomes=incomes)


def test_declared_incomes_are_saved_with_the_case_and_written_on_the_trail(clerk_a, household_a):
    head, spouse = _members(household_a)
    case = _create(household_a, clerk_a, {head: "1,200.5", spouse: None})
    rows = {d.person: d.monthly_amount for d in case.declared_incomes.all()}
    assert rows == {head: Decimal("1200.50")}, "a blank amount is 未申报: no row"
    event = case.events.get(action="incomes_declared")
    assert event.actor == clerk_a
    assert event.payload == {"incomes": [{"person": head.pk, "amount": "1200.50"},
                                         {"person": spouse.pk, "amount": None}],
                             "total": "1200.50"}
    assert EVENT_LABELS["incomes_declared"] == "录入申报月收入"


def test_a_declared_zero_is_kept_apart_from_undeclared(clerk_a, household_a):
    head, spouse = _members(household_a)
    case = _create(household_a, clerk_a, {head: Decimal("0")})
    assert case.declared_incomes.get().monthly_amount == Decimal("0.00")


@pytest.mark.parametrize(("value", "words"), [
    ("-1", "不能为负数"),
    ("12.345", "最多填写两位小数"),
    ("1000000.01", "超过1,000,000元"),
    ("1e9", "超过1,000,000元"),
    ("一千", "请填写金额数字"),
    ("NaN", "请填写金额数字"),
])
def test_a_refused_amount_saves_neither_the_incomes_nor_the_case(clerk_a, household_a, value,
                                                                 words):
    head, spouse = _members(household_a)
    before = (Case.objects.count(), DeclaredIncome.objects.count(), CaseEvent.objects.count())
    with pytest.raises(CaseActionError) as refused:
        _create(household_a, clerk_a, {head: "100", spouse: value})
    assert words in refused.value.message and spouse.name in refused.value.message
    assert (Case.objects.count(), DeclaredIncome.objects.count(),
            CaseEvent.objects.count()) == before


def test_the_top_amount_itself_is_accepted(clerk_a, household_a):
    head, _ = _members(household_a)
    case = _create(household_a, clerk_a, {head: "1000000"})
    assert case.declared_incomes.get().monthly_amount == Decimal("1000000.00")


def test_only_current_members_declare(clerk_a, household_a):
    stranger = PersonFactory()
    with pytest.raises(CaseActionError, match="不是该家庭的在册成员"):
        _create(household_a, clerk_a, {stranger: "100"})
    assert not Case.objects.exists()


def test_incomes_are_declared_once_and_not_after_acceptance(clerk_a, household_a):
    head, spouse = _members(household_a)
    case = _create(household_a, clerk_a, {head: "800"})
    before = (DeclaredIncome.objects.count(), CaseEvent.objects.count())
    with pytest.raises(CaseActionError, match="不能重复录入"):
        declared_incomes_record(case=case, incomes={spouse: "100"}, by=clerk_a)
    Case.objects.filter(pk=case.pk).update(status="investigating")
    with pytest.raises(CaseActionError, match="已受理"):
        declared_incomes_record(case=case, incomes={spouse: "100"}, by=clerk_a)
    assert (DeclaredIncome.objects.count(), CaseEvent.objects.count()) == before


def test_a_clerk_of_another_township_cannot_declare(clerk_a, clerk_b, household_a):
    head, _ = _members(household_a)
    case = _create(household_a, clerk_a, None)
    with pytest.raises(CaseActionError, match="不能录入申报收入"):
        declared_incomes_record(case=case, incomes={head: "100"}, by=clerk_b)
    assert not case.declared_incomes.exists()
    assert not case.events.filter(action="incomes_declared").exists()


# --- Acceptance screen 1 ---------------------------------------------------------------------

def test_screen_one_takes_each_new_members_income_and_acceptance_saves_it(client, clerk_a,
                                                                          village_a):
    client.force_login(clerk_a)
    data = new_household_post(village_a)
    data["m-0-declared_income"] = "2,350.00"  # the child's left blank: 未申报
    response = client.post(START, data)
    assert response.status_code == 302 and response["Location"] == CASE
    assert client.session[DRAFT_KEY]["incomes"] == {HEAD_ID: "2350.00", CHILD_ID: None}
    assert not DeclaredIncome.objects.exists(), "screen 1 saves nothing"
    accept(client)
    case = Case.objects.get()
    assert case.status == "investigating"
    assert [(d.person.id_number, d.monthly_amount) for d in case.declared_incomes.all()] == [
        (HEAD_ID, Decimal("2350.00"))]
    assert case.events.filter(action="incomes_declared").count() == 1


def test_going_back_to_screen_one_shows_the_declared_income_again(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, {**new_household_post(village_a), "m-0-declared_income": "615.5"})
    page = client.get(START, {"back": "1"}).content.decode()
    assert 'value="615.50"' in page


@pytest.mark.parametrize(("value", "words"), [("-5", "不能为负数"), ("3.141", "两位小数"),
                                              ("2000000", "超过1,000,000元")])
def test_a_refused_income_keeps_screen_one_and_starts_no_draft(client, clerk_a, village_a,
                                                               value, words):
    client.force_login(clerk_a)
    response = client.post(START, {**new_household_post(village_a),
                                   "m-1-declared_income": value})
    assert response.status_code == 400 and words in response.content.decode()
    assert DRAFT_KEY not in client.session


def test_an_emergency_report_asks_no_income(client, clerk_a, village_a):
    client.force_login(clerk_a)
    page = client.get(START, {"emergency": "1"}).content.decode()
    assert "declared_income" not in page
    assert "declared_income" in client.get(START).content.decode()


def test_an_existing_households_incomes_are_entered_on_screen_one(client, clerk_a,
                                                                  household_a):
    head, spouse = _members(household_a)
    client.force_login(clerk_a)
    page = client.get(START, {"household": household_a.pk}).content.decode()
    assert f'name="{income_field_name(head)}"' in page and f"{spouse.name}的月收入" in page

    refused = client.post(START, {"existing": household_a.pk,
                                  income_field_name(spouse): "-3"})
    assert refused.status_code == 400 and "不能为负数" in refused.content.decode()
    assert DRAFT_KEY not in client.session

    response = client.post(START, {"existing": household_a.pk,
                                   income_field_name(spouse): "480"})
    assert response.status_code == 302 and response["Location"] == CASE
    accept(client, auths=("0", "1"))
    case = Case.objects.get()
    assert {d.person: d.monthly_amount for d in case.declared_incomes.all()} == {
        spouse: Decimal("480.00")}


def test_the_looked_up_household_posts_its_incomes_with_the_head_id(client, clerk_a,
                                                                    household_a):
    head, spouse = _members(household_a)
    client.force_login(clerk_a)
    data = client.get(reverse("accept_lookup"), {"head_id": head.id_number}).json()
    assert [m["income_field"] for m in data["members"]] == [
        income_field_name(head), income_field_name(spouse)]
    response = client.post(START, {"head_id": head.id_number, income_field_name(head): "99.9"})
    assert response.status_code == 302
    assert client.session[DRAFT_KEY]["incomes"] == {head.id_number: "99.90",
                                                    spouse.id_number: None}


def test_a_member_gone_since_screen_one_refuses_the_acceptance(client, clerk_a, household_a):
    head, spouse = _members(household_a)
    client.force_login(clerk_a)
    client.post(START, {"existing": household_a.pk, income_field_name(spouse): "480"})
    household_a.memberships.filter(person=spouse).update(ended_on=dt.date.today())
    response = accept(client)
    assert response.status_code == 400 and "成员刚刚已有变动" in response.content.decode()
    assert not Case.objects.exists()


# --- The household page's 登记救助申请 ------------------------------------------------------

def test_the_household_page_application_records_the_incomes_through_the_same_service(
        client, clerk_a, household_a):
    head, spouse = _members(household_a)
    client.force_login(clerk_a)
    url = reverse("case_create", args=[household_a.pk])
    assert f"{head.name}的月收入（元）" in client.get(url).content.decode()
    post = {"kind": "dibao", "applicant": head.pk, "hardship": "无稳定收入。"}
    refused = client.post(url, {**post, income_field_name(head): "12.345"})
    assert refused.status_code == 200 and "两位小数" in refused.content.decode()
    assert not Case.objects.exists()
    response = client.post(url, {**post, income_field_name(head): "1500"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert {d.person: d.monthly_amount for d in case.declared_incomes.all()} == {
        head: Decimal("1500.00")}
    assert case.events.get(action="incomes_declared").payload["total"] == "1500.00"


def test_an_id_number_in_the_draft_is_the_household_members(clerk_a, village_a):
    """The draft keys incomes by ID number; a number of nobody in the household is refused."""
    household = HouseholdFactory(village=village_a, members=1)
    other = idnumber.make_number("371302", dt.date(1980, 1, 1), 555)
    from cases.views.acceptance import _declared_incomes

    people = {p.id_number: p for p in _members(household)}
    with pytest.raises(CaseActionError):
        _declared_incomes({"incomes": {other: "1"}}, people)
    assert _declared_incomes({}, people) is None
