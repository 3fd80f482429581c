"""Household pages: login, list, search, detail, create and edit with members, the ID check."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import idnumber
from cases.models import AccessLog, Household, Membership, Person, Relationship
from tests.factories import PASSWORD, HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

HEAD_NUMBER = idnumber.make_number("371302", dt.date(1948, 5, 4), 13)  # born before 1994
SPOUSE_NUMBER = "37130219800101005X"


class BrowserForm(HTMLParser):
    """What a browser would post for the page's main POST form, before the user types.

    Text inputs send their value, selects their selected (or first) option, checkboxes only
    when checked — so untouched rows are posted exactly as a real browser posts them. The main
    form is the POST form with the most fields (not the logout button in the header).
    """

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.data: dict[str, str] | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.data = {}
            self.forms.append(self.data)
        if self.data is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.data[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.data[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea and self.data is not None:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = [v for v, sel in self._options if sel] or [v for v, _ in self._options[:1]]
            if chosen:
                self.data[self._select] = chosen[0]
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.data = None


def browser_form(response) -> dict[str, str]:
    parser = BrowserForm()
    parser.feed(response.content.decode())
    data = dict(max(parser.forms, key=len))
    data.pop("csrfmiddlewaretoken", None)
    return data


def fill_member(data: dict, index: int, **fields) -> dict:
    defaults = {"hukou_type": "rural", "health": "healthy", "labour_capacity": "full",
                "disability_grade": "0"}
    for key, value in {**defaults, **fields}.items():
        data[f"m-{index}-{key}"] = value
    total = int(data.get("m-TOTAL_FORMS", 0))
    data["m-TOTAL_FORMS"] = str(max(total, index + 1))
    return data


def new_household_data(client, village, members: list[dict]) -> dict:
    data = browser_form(client.get(reverse("household_create")))
    data.update({"village": str(village.pk), "address": "兰山街道前十社区3号楼2单元",
                 "hukou_type": "urban"})
    for i, member in enumerate(members):
        fill_member(data, i, **member)
    return data


HEAD = {"name": "王德明", "id_number": HEAD_NUMBER, "relationship": "head"}
SPOUSE = {"name": "刘玉兰", "id_number": SPOUSE_NUMBER.lower(), "relationship": "spouse"}


def page_text(response) -> str:
    return response.content.decode()


# --- Login and list ---------------------------------------------------------------------


def test_the_login_page_is_in_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    text = page_text(response)
    assert '<html lang="zh-Hans">' in text
    for words in ("用户登录", "用户名", "密码", "登录"):
        assert words in text


def test_a_wrong_password_is_explained_in_chinese(client, clerk_a):
    response = client.post(reverse("login"), {"username": "clerk_a", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in page_text(response)


def test_a_clerk_logs_in_and_lands_on_the_workspace(client, clerk_a):
    response = client.post(reverse("login"), {"username": "clerk_a", "password": PASSWORD},
                           follow=True)
    assert response.redirect_chain == [(reverse("start"), 302), (reverse("clerk_home"), 302)]
    assert response.status_code == 200


def test_an_inactive_clerk_cannot_log_in(client, inactive_clerk):
    response = client.post(reverse("login"), {"username": "clerk_gone", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.clause("S1")
def test_clerk_a_sees_only_township_a_households(client, clerk_a, household_a, household_a2,
                                                 household_b, household_c):
    client.force_login(clerk_a)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    listed = set(response.context["page"].object_list)
    assert listed == {household_a, household_a2}
    assert household_b.get_absolute_url() not in page_text(response)


def test_the_list_shows_masked_numbers_and_member_counts(client, clerk_a, household_a):
    client.force_login(clerk_a)
    response = client.get(reverse("home"))
    text = page_text(response)
    assert household_a.head.masked_id in text
    assert household_a.head.id_number not in text
    (row,) = response.context["page"].object_list
    assert row.member_count == 2


def test_a_household_without_a_head_is_listed_as_such(client, clerk_a, village_a):
    HouseholdFactory(village=village_a, members=0)
    client.force_login(clerk_a)
    assert "未定户主" in page_text(client.get(reverse("home")))


# --- Out of scope is not found ----------------------------------------------------------


@pytest.mark.clause("S1")
def test_clerk_b_gets_404_for_a_township_a_household(client, clerk_b, household_a):
    client.force_login(clerk_b)
    for url in (household_a.get_absolute_url(),
                reverse("household_edit", args=[household_a.pk])):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "不在您的管辖范围内" in page_text(response)
    response = client.post(reverse("household_edit", args=[household_a.pk]), {})
    assert response.status_code == 404
    assert not AccessLog.objects.filter(user=clerk_b).exists()


def test_a_missing_household_is_404(client, clerk_a):
    client.force_login(clerk_a)
    assert client.get(reverse("household_detail", args=[999999])).status_code == 404


# --- Search and the look-up log ---------------------------------------------------------


@pytest.mark.clause("S19")
def test_search_by_name_lists_the_household_and_is_logged(client, clerk_a, village_a):
    head = PersonFactory(name="孙守信")
    household = HouseholdFactory(village=village_a, members=[head, PersonFactory()])
    HouseholdFactory(village=village_a, members=[PersonFactory(name="朱春生")])
    client.force_login(clerk_a)
    response = client.get(reverse("home"), {"q": "孙守"})
    rows = list(response.context["page"].object_list)
    assert rows == [household]
    assert rows[0].member_count == 2  # the whole household, not only the matching member
    log = AccessLog.objects.get(user=clerk_a)
    assert log.action == AccessLog.Action.SEARCH
    assert log.object_type == "household"
    assert "孙守" in log.detail


@pytest.mark.clause("S19")
def test_search_by_a_members_name_counts_every_member(client, clerk_a, village_a):
    spouse = PersonFactory(name="周凤兰")
    household = HouseholdFactory(village=village_a,
                                 members=[PersonFactory(), spouse, PersonFactory()])
    client.force_login(clerk_a)
    rows = list(client.get(reverse("home"), {"q": "周凤兰"}).context["page"].object_list)
    assert rows == [household]
    assert rows[0].member_count == 3


@pytest.mark.clause("S19")
@pytest.mark.parametrize("typed", [SPOUSE_NUMBER, SPOUSE_NUMBER.lower(),
                                   "371302 19800101 005x"])
def test_search_by_full_id_number_finds_the_household_and_logs_no_full_number(
    client, clerk_a, village_a, typed,
):
    household = HouseholdFactory(
        village=village_a, members=[PersonFactory(), PersonFactory(id_number=SPOUSE_NUMBER)])
    HouseholdFactory(village=village_a, members=2)
    client.force_login(clerk_a)
    rows = list(client.get(reverse("home"), {"q": typed}).context["page"].object_list)
    assert rows == [household]
    assert rows[0].member_count == 2
    log = AccessLog.objects.get(user=clerk_a, action=AccessLog.Action.SEARCH)
    assert SPOUSE_NUMBER not in log.detail.upper().replace(" ", "")


def test_search_does_not_reach_outside_the_users_scope(client, clerk_b, household_a):
    client.force_login(clerk_b)
    for q in (household_a.head.id_number, household_a.head.name):
        response = client.get(reverse("home"), {"q": q})
        assert list(response.context["page"].object_list) == []
        assert "没有符合" in page_text(response)


def test_a_former_member_is_not_found_by_number(client, clerk_a, household_a):
    member = household_a.memberships.exclude(relationship=Relationship.HEAD).get()
    member.ended_on = timezone.localdate()
    member.save()
    client.force_login(clerk_a)
    response = client.get(reverse("home"), {"q": member.person.id_number})
    assert list(response.context["page"].object_list) == []


def test_an_empty_search_writes_no_log(client, clerk_a, household_a):
    client.force_login(clerk_a)
    client.get(reverse("home"))
    client.get(reverse("home"), {"q": "  "})
    assert not AccessLog.objects.exists()


def test_opening_a_household_is_logged(client, clerk_a, household_a):
    """Every look-up of a household is logged with who, what and where from.

    clause: S19
    """
    client.force_login(clerk_a)
    response = client.get(household_a.get_absolute_url())
    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_type, log.object_id) == (
        clerk_a, AccessLog.Action.VIEW, "household", str(household_a.pk))
    assert log.ip == "127.0.0.1"


@pytest.mark.clause("S19")
def test_opening_the_edit_form_with_full_numbers_is_logged(client, clerk_a, household_a):
    client.force_login(clerk_a)
    response = client.get(reverse("household_edit", args=[household_a.pk]))
    assert household_a.head.id_number in page_text(response)  # needed to edit the members
    log = AccessLog.objects.get()
    assert (log.user, log.action, log.object_id) == (
        clerk_a, AccessLog.Action.VIEW, str(household_a.pk))


def test_the_detail_page_shows_members_with_masked_numbers(client, clerk_a, household_a):
    client.force_login(clerk_a)
    text = page_text(client.get(household_a.get_absolute_url()))
    for membership in household_a.current_members():
        assert membership.person.name in text
        assert membership.person.masked_id in text
        assert membership.person.id_number not in text
    assert "家庭成员（2人）" in text
    assert reverse("household_edit", args=[household_a.pk]) in text


# --- Create and edit ----------------------------------------------------------------------


def test_a_clerk_creates_a_household_with_two_members(client, clerk_a, village_a):
    client.force_login(clerk_a)
    data = new_household_data(client, village_a, [HEAD, SPOUSE])
    response = client.post(reverse("household_create"), data)
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == household.get_absolute_url()
    assert household.village == village_a
    assert household.head.id_number == HEAD_NUMBER
    members = {m.person.id_number: m for m in household.current_members()}
    assert set(members) == {HEAD_NUMBER, SPOUSE_NUMBER}
    head = members[HEAD_NUMBER].person
    assert (head.birth_date, head.gender) == (dt.date(1948, 5, 4), "M")
    assert members[SPOUSE_NUMBER].relationship == Relationship.SPOUSE
    followed = client.get(response["Location"])
    assert "家庭信息已保存。" in page_text(followed)


def test_an_untouched_blank_member_row_does_not_block_saving(client, clerk_a, village_a):
    client.force_login(clerk_a)
    data = new_household_data(client, village_a, [HEAD])
    blank = browser_form(client.get(reverse("household_create")))
    for key, value in blank.items():  # a second row exactly as the browser leaves it
        if key.startswith("m-0-"):
            data["m-1-" + key[4:]] = value
    data["m-TOTAL_FORMS"] = "2"
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 302, response.context["formset"].errors
    assert Household.objects.get().current_members().count() == 1


def test_a_new_member_row_does_not_default_to_head(client, clerk_a):
    client.force_login(clerk_a)
    data = browser_form(client.get(reverse("household_create")))
    assert data["m-0-relationship"] == ""


def test_a_bad_id_number_is_refused_in_chinese_and_nothing_is_written(client, clerk_a,
                                                                      village_a):
    client.force_login(clerk_a)
    bad = {**SPOUSE, "id_number": SPOUSE_NUMBER[:17] + "3"}
    response = client.post(reverse("household_create"),
                           new_household_data(client, village_a, [HEAD, bad]))
    assert response.status_code == 200
    assert "身份证号码校验码不正确" in page_text(response)
    assert not Household.objects.exists()
    assert not Person.objects.exists()


def test_a_person_already_in_another_household_is_refused_and_nothing_is_written(
    client, clerk_a, village_a, household_a,
):
    client.force_login(clerk_a)
    taken = household_a.head
    households, people = Household.objects.count(), Person.objects.count()
    data = new_household_data(client, village_a, [
        HEAD, {"name": "改了名字", "id_number": taken.id_number, "relationship": "spouse"}])
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 200
    errors = response.context["formset"].non_form_errors()
    assert len(errors) == 1
    assert "另一户的在册成员" in errors[0]
    assert taken.masked_id in errors[0]  # the message names the person by masked number only
    assert taken.id_number not in errors[0]
    assert Household.objects.count() == households
    assert Person.objects.count() == people
    taken.refresh_from_db()
    assert taken.name != "改了名字"
    assert household_a.current_members().count() == 2


@pytest.mark.parametrize("relationships", [("head", "head"), ("spouse", "son")])
def test_a_household_needs_exactly_one_head(client, clerk_a, village_a, relationships):
    client.force_login(clerk_a)
    members = [{**HEAD, "relationship": relationships[0]},
               {**SPOUSE, "relationship": relationships[1]}]
    response = client.post(reverse("household_create"),
                           new_household_data(client, village_a, members))
    assert response.status_code == 200
    assert "每户须有且只有一名户主" in page_text(response)
    assert not Household.objects.exists()


def test_a_household_needs_at_least_one_member(client, clerk_a, village_a):
    client.force_login(clerk_a)
    response = client.post(reverse("household_create"),
                           new_household_data(client, village_a, []))
    assert response.status_code == 200
    assert "请至少登记一名家庭成员" in page_text(response)
    assert not Household.objects.exists()


def test_editing_unchanged_saves(client, clerk_a, household_a):
    client.force_login(clerk_a)
    url = reverse("household_edit", args=[household_a.pk])
    response = client.post(url, browser_form(client.get(url)))
    assert response.status_code == 302, response.context["formset"].errors
    assert household_a.current_members().count() == 2


def test_editing_removes_a_member_by_ending_the_membership(client, clerk_a, household_a):
    client.force_login(clerk_a)
    url = reverse("household_edit", args=[household_a.pk])
    data = browser_form(client.get(url))
    leaving = household_a.memberships.exclude(relationship=Relationship.HEAD).get()
    index = next(k for k, v in data.items() if v == leaving.person.id_number).split("-")[1]
    data[f"m-{index}-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 302
    leaving.refresh_from_db()
    assert leaving.ended_on is not None
    assert Person.objects.filter(pk=leaving.person_id).exists()
    assert [m.person for m in household_a.current_members()] == [household_a.head]
    assert Membership.objects.filter(household=household_a).count() == 2  # history kept


def test_a_removed_member_may_join_another_household(client, clerk_a, household_a,
                                                     village_a):
    leaving = household_a.memberships.exclude(relationship=Relationship.HEAD).get()
    leaving.ended_on = timezone.localdate()
    leaving.save()
    client.force_login(clerk_a)
    data = new_household_data(client, village_a, [
        {"name": leaving.person.name, "id_number": leaving.person.id_number,
         "relationship": "head"}])
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 302
    assert Household.objects.latest("id").head == leaving.person


def test_editing_adds_a_member_and_changes_the_head(client, clerk_a, household_a):
    client.force_login(clerk_a)
    url = reverse("household_edit", args=[household_a.pk])
    data = browser_form(client.get(url))
    old_head = household_a.head
    for key, value in list(data.items()):
        if value == "head" and key.endswith("-relationship"):
            data[key] = "parent"
    extra = int(data["m-TOTAL_FORMS"]) - 1  # the blank row
    fill_member(data, extra, **HEAD)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["formset"].errors
    household_a.refresh_from_db()
    assert household_a.head.id_number == HEAD_NUMBER
    assert household_a.current_members().count() == 3
    assert household_a.current_members().get(person=old_head).relationship == "parent"


# --- Live ID check ----------------------------------------------------------------------


def test_the_id_check_explains_a_bad_number_in_chinese(client, clerk_a):
    client.force_login(clerk_a)
    response = client.get(reverse("id_check"), {"m-0-id_number": SPOUSE_NUMBER[:17] + "3"})
    assert response.status_code == 200
    assert "校验码不正确" in page_text(response)
    response = client.get(reverse("id_check"), {"m-0-id_number": "3713"})
    assert "应为18位" in page_text(response)


def test_the_id_check_confirms_a_good_number_without_naming_anyone(client, clerk_a,
                                                                   household_a):
    client.force_login(clerk_a)
    response = client.get(reverse("id_check"), {"m-1-id_number": SPOUSE_NUMBER.lower()})
    assert "号码有效" in page_text(response)
    assert "1980年1月1日" in page_text(response)
    assert "男" in page_text(response)
    response = client.get(reverse("id_check"), {"m-0-id_number": household_a.head.id_number})
    assert household_a.head.name not in page_text(response)
    assert client.get(reverse("id_check"), {"m-0-id_number": ""}).content == b""


# --- Roles ------------------------------------------------------------------------------


@pytest.mark.clause("S1")
def test_bureau_can_view_but_not_edit(client, bureau, household_a):
    client.force_login(bureau)
    response = client.get(household_a.get_absolute_url())
    assert response.status_code == 200
    assert reverse("household_edit", args=[household_a.pk]) not in page_text(response)
    assert client.get(reverse("household_edit", args=[household_a.pk])).status_code == 403
    assert client.post(reverse("household_edit", args=[household_a.pk]), {}).status_code == 403
    assert client.get(reverse("household_create")).status_code == 403
    assert "登记新家庭" not in page_text(client.get(reverse("home")))


@pytest.mark.parametrize("user_fixture", ["verifier_a", "leader_a"])
def test_township_staff_other_than_clerks_only_look(request, client, household_a,
                                                    user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    assert client.get(household_a.get_absolute_url()).status_code == 200
    assert client.get(reverse("household_edit", args=[household_a.pk])).status_code == 403
    assert client.get(reverse("household_create")).status_code == 403


@pytest.mark.clause("S21")
def test_an_assistant_creates_households_only_in_their_village(client, assistant_a,
                                                               village_a, village_a2):
    client.force_login(assistant_a)
    response = client.get(reverse("household_create"))
    assert list(response.context["form"].fields["village"].queryset) == [village_a]

    response = client.post(reverse("household_create"),
                           new_household_data(client, village_a2, [HEAD]))
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    assert not Household.objects.exists()

    response = client.post(reverse("household_create"),
                           new_household_data(client, village_a, [HEAD]))
    assert response.status_code == 302
    assert Household.objects.get().village == village_a


@pytest.mark.clause("S21")
def test_an_assistant_cannot_open_a_household_of_another_village(client, assistant_a,
                                                                 household_a2):
    client.force_login(assistant_a)
    assert client.get(household_a2.get_absolute_url()).status_code == 404
    assert client.get(reverse("household_edit", args=[household_a2.pk])).status_code == 404


def test_a_clerk_cannot_move_a_household_out_of_their_township(client, clerk_a, household_a,
                                                               village_b):
    client.force_login(clerk_a)
    url = reverse("household_edit", args=[household_a.pk])
    data = browser_form(client.get(url))
    data["village"] = str(village_b.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    household_a.refresh_from_db()
    assert household_a.village.township.code == "371302001"


# --- Phone-width pages ------------------------------------------------------------------


def test_pages_carry_the_viewport_meta_for_phones(client, clerk_a, household_a):
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    assert viewport in page_text(client.get(reverse("login")))
    client.force_login(clerk_a)
    for url in (reverse("home"), household_a.get_absolute_url(), reverse("household_create"),
                reverse("household_edit", args=[household_a.pk])):
        assert viewport in page_text(client.get(url)), url
