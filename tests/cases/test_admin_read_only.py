"""The admin cannot rewrite decisions: a case's procedure fields and a household's payee
account are read-only there for everyone, superusers included; corrections go through the
services, which write the trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.admin import CaseAdmin, HouseholdAdmin
from cases.demo_cases import build_case
from cases.models import AccountChange, Case, CaseEvent, Household
from cases.models.case import WORKFLOW_OWNED_FIELDS
from cases.workflow import CaseKind, CaseStatus
from tests.cases.test_household_views import browser_form
from tests.security.world import pdf_upload

pytestmark = pytest.mark.django_db

# Every field the procedure owns, named here (not read from the code under test), with a value
# different from the one the approved case has.
CHANGED_VALUES = {
    "status": CaseStatus.REJECTED,
    "kind": CaseKind.TEKUN,
    "hardship": "改写的困难情况",
    "applied_at": "2020-01-02 08:00:00",
    "accepted_at": "2020-01-03 08:00:00",
    "decided_at": "2020-01-04 08:00:00",
    "proposed_amount": "8888.00",
    "approved_amount": "9999.00",
    "covered_persons": "9",
    "review_opinion": "改写的审核意见",
    "decision_reason": "改写的决定理由",
    "reported_at": "2020-01-05 08:00:00",
    "aid_given_at": "2020-01-06 08:00:00",
    "aid_amount": "7777.00",
    "aid_reason": "改写的事由",
    "aid_cause": "traffic",
    "aid_method": "referral",
    "handling_opinion": "改写的经办意见",
    "leader_opinion": "改写的审批意见",
    "paperwork_complete": "on",
}


def test_the_list_of_workflow_owned_fields_is_the_codes_list():
    assert set(CHANGED_VALUES) == set(WORKFLOW_OWNED_FIELDS)


def _admin_post_data(client, url: str) -> dict:
    data = browser_form(client.get(url))
    for key in ("_addanother", "_continue", "_saveasnew"):
        data.pop(key, None)
    data["_save"] = "保存"
    return data


def _split_datetimes(data: dict) -> dict:
    """The admin's split date/time widgets post `<name>_0` and `<name>_1`."""
    out = {}
    for name, value in data.items():
        out[name] = value
        if isinstance(value, str) and len(value) == 19 and value[4] == "-" and value[13] == ":":
            out[f"{name}_0"], out[f"{name}_1"] = value.split(" ")
    return out


@pytest.mark.clause("S17")
@pytest.mark.parametrize("field", sorted(CHANGED_VALUES))
def test_a_superuser_cannot_change_a_workflow_owned_field_in_the_admin(
        client, superuser, household_a, clerk_a, verifier_a, leader_a, field):
    """Guards `CaseAdmin.get_readonly_fields` (every field of a case read-only, for everyone).

    The incident: a 系统管理员 changed an approved case's amount from 650 to 9,999 in the
    admin and no event was written."""
    case = build_case(CaseStatus.APPROVED, household=household_a, clerk=clerk_a,
                      verifier=verifier_a, leader=leader_a)
    before = {name: getattr(case, name) for name in WORKFLOW_OWNED_FIELDS}
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(superuser)
    url = reverse("admin:cases_case_change", args=[case.pk])
    data = _admin_post_data(client, url)
    data.update(_split_datetimes({field: CHANGED_VALUES[field]}))
    response = client.post(url, data)
    assert response.status_code == 302  # the form was accepted and saved…
    case = Case.objects.get(pk=case.pk)  # …without any of the procedure's fields
    assert {name: getattr(case, name) for name in WORKFLOW_OWNED_FIELDS} == before
    assert CaseEvent.objects.filter(case=case).count() == events


def test_every_editable_field_of_a_case_is_read_only_in_the_admin(rf, superuser):
    request = rf.get("/")
    request.user = superuser
    read_only = set(CaseAdmin(Case, None).get_readonly_fields(request))
    editable = {f.name for f in Case._meta.concrete_fields if f.editable}
    assert editable <= read_only
    assert set(WORKFLOW_OWNED_FIELDS) <= read_only


def test_a_superuser_cannot_change_a_households_bank_fields_in_the_admin(client, superuser,
                                                                        household_a):
    """Guards `HouseholdAdmin.readonly_fields` / `exclude` (the payee account)."""
    household_a.bank_name, household_a.bank_account = "临沂农商银行", "6217000010001234567"
    household_a.save(update_fields=["bank_name", "bank_account"])
    client.force_login(superuser)
    url = reverse("admin:cases_household_change", args=[household_a.pk])
    page = client.get(url).content.decode()
    assert "6217000010001234567" not in page and "6217***********4567" in page
    data = _admin_post_data(client, url)
    data.update(bank_name="中国农业银行", bank_account="6228480000007654321", bank_payee="张三",
                address="改写的住址")
    response = client.post(url, data)
    assert response.status_code == 302
    household = Household.objects.get(pk=household_a.pk)
    assert household.address == "改写的住址"  # the form was saved…
    assert (household.bank_name, household.bank_account, household.bank_payee) == (
        "临沂农商银行", "6217000010001234567", "")  # …but not the account


def test_the_household_admin_declares_every_payee_field_read_only():
    from cases.models import PAYEE_FIELDS

    admin = HouseholdAdmin(Household, None)
    assert set(PAYEE_FIELDS) <= set(admin.readonly_fields) | set(admin.exclude)
    assert set(PAYEE_FIELDS) - {"bank_account"} <= set(admin.readonly_fields)


def test_account_changes_cannot_be_added_changed_or_deleted_in_the_admin(
        client, superuser, household_a, clerk_a):
    from cases import payee

    change = payee.account_change_request(
        household=household_a, bank_name="中国农业银行", bank_account="6228480000007654321",
        reason="换卡。", scan=pdf_upload(), by=clerk_a)
    client.force_login(superuser)
    url = reverse("admin:cases_accountchange_change", args=[change.pk])
    page = client.get(url).content.decode()
    assert "6228480000007654321" not in page and "6228***********4321" in page
    client.post(url, {"status": "confirmed", "reason": "改写"})
    client.post(reverse("admin:cases_accountchange_delete", args=[change.pk]), {"post": "yes"})
    assert client.get(reverse("admin:cases_accountchange_add")).status_code == 403
    change = AccountChange.objects.get(pk=change.pk)
    assert change.status == AccountChange.Status.PENDING and change.reason == "换卡。"


