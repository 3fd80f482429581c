"""The disclosure policy: every field that may leave through publicity, per medium."""

from __future__ import annotations

import datetime as dt

import pytest

from publicity.disclosure import (
    FIELD_KEYS,
    FIELDS,
    ONLINE,
    WITHHELD,
    Medium,
    disclose_batch,
    disclose_entry,
    fields_for,
    is_listed,
    mask_name,
    scrub,
)


@pytest.mark.parametrize(("name", "masked"), [
    ("张三明", "张*明"), ("张三", "张*"), ("欧阳文华", "欧**华"), ("王", "*"), ("", ""),
    (" 李娜 ", "李*"), ("阿卜杜拉·艾买提", "阿******提"),
])
def test_names_are_masked_keeping_the_first_and_last_character(name, masked):
    assert mask_name(name) == masked


def test_scrub_masks_anything_shaped_like_an_id_or_mobile_number():
    assert scrub("王11010519491231002X") == "王1101**************"
    assert scrub("电话13812345678") == "电话138********"
    assert scrub("110105491231002") == "1101***********"
    # Amounts, dates and landline hotlines are not touched.
    assert scrub("650.00元/月") == "650.00元/月"
    assert scrub("0539-8123456") == "0539-8123456"


def test_the_policy_allows_exactly_the_board_fields_of_the_brief():
    """BRIEF §1.4: village, name, household size, programme, amount (dates come with the
    sheet). clause: S6, S22"""
    assert FIELD_KEYS == ("seq", "village", "name", "household_size", "kind", "amount")
    for medium in Medium:
        assert tuple(f.key for f in fields_for(medium)) == FIELD_KEYS


def test_no_withheld_field_is_among_the_allowed_ones():
    allowed = {f.key for f in FIELDS}
    withheld = {name.split(".")[1] for name in WITHHELD}
    assert not allowed & withheld
    for sensitive in ("id_number", "phone", "address", "hardship", "health", "disability_type",
                      "review_opinion", "monthly_income", "bank_account"):
        assert sensitive in withheld


@pytest.mark.django_db
def test_an_entry_shows_the_full_name_on_paper_and_the_masked_name_online(running_entry):
    case = running_entry.case
    board = disclose_entry(running_entry, Medium.BOARD)
    assert board["name"] == case.applicant.name
    for medium in ONLINE:
        row = disclose_entry(running_entry, medium)
        assert row["name"] == mask_name(case.applicant.name)
        assert row["name"] != case.applicant.name
    assert board["village"] == case.village.short_name
    assert board["household_size"] == "2"  # the household's current members
    assert board["kind"] == "最低生活保障"
    assert board["amount"] == f"{case.proposed_amount:,.2f}元/月"  # the calculation's
    assert set(board.values) == set(FIELD_KEYS)


@pytest.mark.django_db
def test_covered_persons_when_given_is_the_household_size_shown(village_a, staff_a):
    from tests.factories import HouseholdFactory
    from tests.publicity.builders import publicize

    case, entry = publicize(HouseholdFactory(village=village_a, members=3), covered_persons=2,
                            kind="temp_expenditure", override_reason="一名成员另行救助。",
                            **staff_a)
    row = disclose_entry(entry, Medium.WEB)
    assert row["household_size"] == "2"
    assert row["amount"] == f"{case.proposed_amount:,.2f}元"  # a one-off grant, not monthly


@pytest.mark.django_db
def test_online_a_household_is_listed_only_while_its_period_runs(running_entry):
    now = dt.datetime.now(dt.UTC)
    assert is_listed(running_entry, Medium.WEB, now)
    after = running_entry.ends_at + dt.timedelta(seconds=1)
    assert not is_listed(running_entry, Medium.WEB, after)
    assert not is_listed(running_entry, Medium.EXPORT, after)
    assert is_listed(running_entry, Medium.BOARD, after)  # the paper sheet, for the file
    sheet = disclose_batch(running_entry.batch, Medium.WEB, now=after)
    assert sheet.rows == () and sheet.count == 1 and not sheet.running


@pytest.mark.django_db
def test_a_withdrawn_case_disappears_everywhere(running_entry, clerk_a):
    from cases import services

    services.case_withdraw(case=running_entry.case, by=clerk_a, note="申请人书面撤回。")
    running_entry.refresh_from_db()
    for medium in Medium:
        assert not is_listed(running_entry, medium, dt.datetime.now(dt.UTC))
        assert disclose_batch(running_entry.batch, medium).count == 0
