"""A household's payee account: two people, a scan, a record, and no other way to change it.

The record tests carry S17: every change of the account leaves an append-only, encrypted
record and, once confirmed, an event on the trail of the household's live entitlements.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from cases import payee
from cases.demo_cases import build_case
from cases.errors import CaseActionError
from cases.households import HouseholdError, household_save
from cases.models import AccountChange, CaseEvent, Household
from cases.permissions import Role
from cases.workflow import CaseStatus
from tests.cases.test_household_views import browser_form, page_text
from tests.factories import make_user
from tests.security.world import jpeg_upload, pdf_upload

pytestmark = pytest.mark.django_db

OLD_ACCOUNT = "6217000010001234567"
NEW_ACCOUNT = "6228480000007654321"


@pytest.fixture
def household(household_a):
    household_a.bank_name, household_a.bank_account = "临沂农商银行", OLD_ACCOUNT
    household_a.save(update_fields=["bank_name", "bank_account"])
    return household_a


@pytest.fixture
def leader_a2(township_a):
    return make_user("leader_a2", Role.LEADER, townships=[township_a])


def request_change(household, by, **changes):
    data = {"bank_name": "中国农业银行临沂兰山支行", "bank_account": NEW_ACCOUNT,
            "bank_payee": "", "reason": "原银行卡遗失，已补办新卡。",
            "scan": pdf_upload("card.pdf")}
    data.update(changes)
    return payee.account_change_request(household=household, by=by, **data)


def stored(household) -> tuple[str, str, str]:
    h = Household.objects.get(pk=household.pk)
    return h.bank_name, h.bank_account, h.bank_payee


ORIGINAL = ("临沂农商银行", OLD_ACCOUNT, "")
CHANGED = ("中国农业银行临沂兰山支行", NEW_ACCOUNT, "")


# --- The service --------------------------------------------------------------------------

def test_a_clerks_request_waits_for_the_leader_and_changes_nothing_yet(household, clerk_a):
    change = request_change(household, clerk_a)
    assert change.status == AccountChange.Status.PENDING
    assert stored(household) == ORIGINAL
    assert change.old["bank_account"] == OLD_ACCOUNT and change.new["bank_account"] == NEW_ACCOUNT
    assert change.fields == "bank_name,bank_account"
    assert change.scan_sha256 and change.scan.name.endswith(".pdf")


def test_the_leader_confirms_and_the_household_account_changes(household, clerk_a, leader_a):
    change = request_change(household, clerk_a)
    payee.account_change_confirm(change=change, by=leader_a)
    change.refresh_from_db()
    assert stored(household) == CHANGED
    assert change.status == AccountChange.Status.CONFIRMED
    assert change.decided_by == leader_a and change.decided_at is not None


@pytest.mark.parametrize("role", ["assistant", "verifier", "bureau", "sysadmin", "clerk_b"])
def test_only_a_clerk_or_leader_of_the_township_may_ask(household, role, assistant_a,
                                                        verifier_a, bureau, sysadmin, clerk_b):
    """Guards `permissions.can_request_account_change` (called by `account_change_request`)."""
    user = {"assistant": assistant_a, "verifier": verifier_a, "bureau": bureau,
            "sysadmin": sysadmin, "clerk_b": clerk_b}[role]
    with pytest.raises(CaseActionError) as exc:
        request_change(household, user)
    assert exc.value.code == "forbidden"
    assert not AccountChange.objects.exists() and stored(household) == ORIGINAL


def test_a_leader_may_ask_and_another_leader_confirms(household, leader_a, leader_a2):
    change = request_change(household, leader_a)
    payee.account_change_confirm(change=change, by=leader_a2)
    assert stored(household) == CHANGED


def test_the_requester_cannot_confirm_their_own_change(household, leader_a):
    """Guards the four-eyes check in `payee._require_decider` (requester ≠ confirmer)."""
    change = request_change(household, leader_a)
    with pytest.raises(CaseActionError) as exc:
        payee.account_change_confirm(change=change, by=leader_a)
    assert exc.value.code == "same_person"
    change.refresh_from_db()
    assert change.status == AccountChange.Status.PENDING and stored(household) == ORIGINAL


@pytest.mark.parametrize("role", ["clerk", "assistant", "leader_b", "bureau"])
def test_only_a_leader_of_the_township_confirms(household, role, clerk_a, assistant_a, bureau,
                                                leader_a, township_b):
    """Guards `permissions.can_decide_account_change` (called by `payee._require_decider`)."""
    change = request_change(household, leader_a)
    user = {"clerk": clerk_a, "assistant": assistant_a, "bureau": bureau,
            "leader_b": make_user("leader_b", Role.LEADER, townships=[township_b])}[role]
    with pytest.raises(CaseActionError) as exc:
        payee.account_change_confirm(change=change, by=user)
    assert exc.value.code == "forbidden"
    assert stored(household) == ORIGINAL


def test_a_refusal_needs_a_reason_and_keeps_the_account(household, clerk_a, leader_a):
    change = request_change(household, clerk_a)
    with pytest.raises(CaseActionError, match="退回理由"):
        payee.account_change_refuse(change=change, by=leader_a, reason="  ")
    payee.account_change_refuse(change=change, by=leader_a, reason="扫描件与填写账号不一致。")
    change.refresh_from_db()
    assert change.status == AccountChange.Status.REFUSED
    assert change.refusal_reason == "扫描件与填写账号不一致。"
    assert stored(household) == ORIGINAL


def test_a_decided_change_cannot_be_decided_again(household, clerk_a, leader_a):
    change = request_change(household, clerk_a)
    payee.account_change_refuse(change=change, by=leader_a, reason="不符。")
    with pytest.raises(CaseActionError, match="已处理"):
        payee.account_change_confirm(change=change, by=leader_a)
    assert stored(household) == ORIGINAL


def test_one_pending_change_per_household(household, clerk_a):
    request_change(household, clerk_a)
    with pytest.raises(CaseActionError, match="待确认"):
        request_change(household, clerk_a, bank_account="6228480000000000001")
    assert AccountChange.objects.count() == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"reason": " "}, "变更原因"),
    ({"scan": None}, "扫描件"),
    ({"scan": jpeg_upload("card.gif").__class__("card.gif", b"GIF89a....",
                                                content_type="image/gif")}, "PDF、JPG或PNG"),
    ({"bank_name": ""}, "开户银行"),
    ({"bank_account": "6228-4800"}, "只能由数字"),
    ({"bank_account": "6" * 41}, "只能由数字"),
    ({"bank_name": "临沂农商银行", "bank_account": OLD_ACCOUNT}, "相同"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(household, clerk_a, changes,
                                                              message):
    with pytest.raises(CaseActionError, match=message):
        request_change(household, clerk_a, **changes)
    assert not AccountChange.objects.exists()


def test_an_account_of_forty_digits_is_accepted(household, clerk_a):
    change = request_change(household, clerk_a, bank_account="6" * 40)
    assert change.new["bank_account"] == "6" * 40


def test_spaces_typed_in_the_account_number_are_dropped(household, clerk_a):
    change = request_change(household, clerk_a, bank_account="6228 4800 0000 7654 321")
    assert change.new["bank_account"] == NEW_ACCOUNT


@pytest.mark.clause("S17")
def test_the_record_is_append_only(household, clerk_a, leader_a):
    change = request_change(household, clerk_a)
    change.reason = "改写"
    with pytest.raises(ValueError):
        change.save()
    with pytest.raises(ValueError):
        change.save(update_fields=["reason"])
    with pytest.raises(ValueError):
        change.delete()
    payee.account_change_confirm(change=change, by=leader_a)
    change.refresh_from_db()
    change.refusal_reason = "事后改写"
    with pytest.raises(ValueError):
        change.save(update_fields=["refusal_reason"])


@pytest.mark.clause("S17")
def test_old_and_new_accounts_are_encrypted_at_rest(household, clerk_a):
    change = request_change(household, clerk_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT fields, \"values\" FROM cases_accountchange WHERE id = %s",
                       [change.pk])
        fields, raw = cursor.fetchone()
    assert fields == "bank_name,bank_account"
    assert OLD_ACCOUNT not in raw and NEW_ACCOUNT not in raw and "农商" not in raw


@pytest.mark.clause("S17")
def test_confirming_writes_an_event_on_the_households_live_entitlements(
        household, clerk_a, verifier_a, leader_a, leader_a2):
    case = build_case(CaseStatus.APPROVED, household=household, clerk=clerk_a,
                      verifier=verifier_a, leader=leader_a)
    change = request_change(household, clerk_a)
    assert not CaseEvent.objects.filter(case=case, action="payee_account_changed").exists()
    payee.account_change_confirm(change=change, by=leader_a2)
    event = CaseEvent.objects.get(case=case, action="payee_account_changed")
    assert event.actor == leader_a2 and event.payload["account_change"] == change.pk
    assert NEW_ACCOUNT not in event.note and "6228" in event.note  # masked


# --- The household service: no other way in -------------------------------------------------

def test_household_save_refuses_a_changed_account(household, clerk_a):
    """Guards `payee.household_bank_guard` for an existing household (called by
    `household_save`, which the household page and the acceptance flow use)."""
    household.bank_account = NEW_ACCOUNT
    members = [{"name": m.person.name, "id_number": m.person.id_number,
                "relationship": m.relationship} for m in household.current_members()]
    with pytest.raises(HouseholdError, match="变更收款账户"):
        household_save(household=household, members=members, by=clerk_a)
    assert stored(household) == ORIGINAL


def test_a_village_assistant_cannot_register_a_household_with_an_account(village_a,
                                                                          assistant_a):
    """Guards `payee.household_bank_guard` for a new household (by a village assistant)."""
    new = Household(village=village_a, address="前十社区1号", hukou_type="rural",
                    bank_name="临沂农商银行", bank_account=NEW_ACCOUNT)
    members = [{"name": "王秀英", "id_number": "371302196803142262", "relationship": "head"}]
    with pytest.raises(HouseholdError, match="窗口受理员或分管领导"):
        household_save(household=new, members=members, by=assistant_a)
    assert not Household.objects.filter(address="前十社区1号").exists()


# --- The pages ------------------------------------------------------------------------------

def test_a_village_assistants_post_of_bank_details_changes_nothing(client, household,
                                                                   assistant_a):
    """Guards the edit form's lack of bank fields (`HouseholdForm(bank=False)` on edit)."""
    client.force_login(assistant_a)
    url = reverse("household_edit", args=[household.pk])
    data = browser_form(client.get(url))
    assert "bank_account" not in data
    data.update(bank_name="中国农业银行", bank_account=NEW_ACCOUNT, bank_payee="张三")
    response = client.post(url, data)
    assert response.status_code == 302
    assert stored(household) == ORIGINAL
    assert not AccountChange.objects.exists()


def test_a_clerks_post_of_bank_details_on_the_edit_page_changes_nothing(client, household,
                                                                        clerk_a):
    client.force_login(clerk_a)
    url = reverse("household_edit", args=[household.pk])
    data = browser_form(client.get(url))
    data.update(bank_name="中国农业银行", bank_account=NEW_ACCOUNT)
    assert client.post(url, data).status_code == 302
    assert stored(household) == ORIGINAL


def test_the_account_page_refuses_a_village_assistant(client, household, assistant_a):
    client.force_login(assistant_a)
    url = reverse("household_account", args=[household.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"bank_name": "中国农业银行", "bank_account": NEW_ACCOUNT,
                                 "reason": "换卡", "scan": pdf_upload()})
    assert response.status_code == 403
    assert not AccountChange.objects.exists() and stored(household) == ORIGINAL


def test_a_clerk_asks_on_the_page_and_the_leader_confirms_on_theirs(client, household,
                                                                    clerk_a, leader_a):
    client.force_login(clerk_a)
    response = client.post(reverse("household_account", args=[household.pk]), {
        "bank_name": "中国农业银行临沂兰山支行", "bank_account": NEW_ACCOUNT, "bank_payee": "",
        "reason": "原银行卡遗失。", "scan": pdf_upload()})
    assert response.status_code == 302
    change = AccountChange.objects.get()
    assert stored(household) == ORIGINAL
    text = page_text(client.get(household.get_absolute_url()))
    assert "待确认" in text and "6228***********4321" in text
    assert NEW_ACCOUNT not in text and OLD_ACCOUNT not in text

    client.force_login(leader_a)
    text = page_text(client.get(reverse("account_changes")))
    assert "原银行卡遗失" in text and "6217***********4567" in text and NEW_ACCOUNT not in text
    response = client.post(reverse("account_change_confirm", args=[change.pk]))
    assert response.status_code == 302
    assert stored(household) == CHANGED
    text = page_text(client.get(household.get_absolute_url()))
    assert "已确认" in text


def test_the_page_shows_the_services_refusal_and_keeps_the_form(client, household, clerk_a):
    client.force_login(clerk_a)
    response = client.post(reverse("household_account", args=[household.pk]), {
        "bank_name": "临沂农商银行", "bank_account": OLD_ACCOUNT, "reason": "核对。",
        "scan": pdf_upload()})
    assert response.status_code == 400
    assert "相同" in page_text(response)
    assert not AccountChange.objects.exists()


def test_the_requesting_leader_sees_no_confirm_button_and_a_post_is_refused(
        client, household, leader_a):
    change = request_change(household, leader_a)
    client.force_login(leader_a)
    response = client.get(reverse("account_changes"))
    assert reverse("account_change_confirm", args=[change.pk]) not in response.content.decode()
    client.post(reverse("account_change_confirm", args=[change.pk]))
    assert stored(household) == ORIGINAL


def test_a_leader_refuses_on_the_page_with_a_reason(client, household, clerk_a, leader_a):
    change = request_change(household, clerk_a)
    client.force_login(leader_a)
    client.post(reverse("account_change_refuse", args=[change.pk]), {"reason": ""})
    change.refresh_from_db()
    assert change.status == AccountChange.Status.PENDING
    client.post(reverse("account_change_refuse", args=[change.pk]), {"reason": "账号有误。"})
    change.refresh_from_db()
    assert change.status == AccountChange.Status.REFUSED and stored(household) == ORIGINAL


def test_the_scan_is_shown_to_the_townships_clerk_and_leader_only(client, household, clerk_a,
                                                                  leader_a, assistant_a):
    change = request_change(household, clerk_a)
    url = reverse("account_change_scan", args=[change.pk])
    for user, expected in ((clerk_a, 200), (leader_a, 200), (assistant_a, 403)):
        client.force_login(user)
        assert client.get(url).status_code == expected


def test_a_leader_of_another_township_does_not_see_the_change(client, household, clerk_a,
                                                              township_b):
    change = request_change(household, clerk_a)
    client.force_login(make_user("leader_b", Role.LEADER, townships=[township_b]))
    assert "原银行卡遗失" not in page_text(client.get(reverse("account_changes")))
    assert client.post(reverse("account_change_confirm", args=[change.pk])).status_code == 404
    assert stored(household) == ORIGINAL


# --- The API ---------------------------------------------------------------------------------

def test_the_api_cannot_change_a_household_and_returns_no_account(client, household, clerk_a):
    client.force_login(clerk_a)
    url = reverse("api:household_detail", args=[household.pk])
    for method in (client.put, client.patch, client.post):
        response = method(url, {"bank_account": NEW_ACCOUNT}, content_type="application/json")
        assert response.status_code == 405
    body = client.get(url).content.decode()
    assert OLD_ACCOUNT not in body and "bank_account" not in body
    assert stored(household) == ORIGINAL


def test_the_leaders_queue_counts_the_changes_waiting_for_them(client, household, clerk_a,
                                                               leader_a):
    client.force_login(leader_a)
    assert "待确认的收款账户变更（0）" in page_text(client.get(reverse("leader_queue")))
    request_change(household, clerk_a)
    assert "待确认的收款账户变更（1）" in page_text(client.get(reverse("leader_queue")))


def test_the_leaders_list_and_the_household_page_run_as_many_statements_for_more_changes(
        client, household, clerk_a, leader_a, leader_a2, village_a):
    """No N+1: one pending change or three, the same number of statements per page."""
    from django.test.utils import CaptureQueriesContext

    from tests.factories import HouseholdFactory

    def count(url):
        client.get(url)  # fills the per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(leader_a)
    first = request_change(household, clerk_a)
    few = (count(reverse("account_changes")), count(household.get_absolute_url()))
    payee.account_change_refuse(change=first, by=leader_a, reason="不符。")
    request_change(household, leader_a2)
    for _ in range(2):
        other = HouseholdFactory(village=village_a, members=1)
        request_change(other, clerk_a)
    many = (count(reverse("account_changes")), count(household.get_absolute_url()))
    assert many == few
    assert "不符" in page_text(client.get(household.get_absolute_url()))


@pytest.mark.clause("S17")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger exists on PostgreSQL")
def test_postgresql_refuses_rewriting_or_deleting_an_account_change(household, clerk_a,
                                                                    leader_a):
    """Guards the trigger of migration 0014 (cases_accountchange_append_only)."""
    from django.db import DatabaseError, transaction

    change = request_change(household, clerk_a)
    for statement in ("UPDATE cases_accountchange SET reason = 'x' WHERE id = %s",
                      "UPDATE cases_accountchange SET status = 'confirmed', reason = 'x' "
                      "WHERE id = %s",
                      "DELETE FROM cases_accountchange WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(statement, [change.pk])
    payee.account_change_confirm(change=change, by=leader_a)  # the decision, once
    with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
          connection.cursor() as cursor):
        cursor.execute("UPDATE cases_accountchange SET status = 'refused' WHERE id = %s",
                       [change.pk])
    change.refresh_from_db()
    assert change.reason != "x" and change.status == AccountChange.Status.CONFIRMED
