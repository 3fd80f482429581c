"""The democratic appraisal's checks as pure functions (`cases.appraisal`, S10): who may take
part and when the votes pass, each edge and each Chinese message. The service tests
(`test_appraisal_rule.py`) show every path calls them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cases import appraisal
from cases.errors import CaseActionError

ROLES = ["村民代表", "村(居)委成员", "驻村干部"]


@pytest.fixture(autouse=True)
def appraisal_settings(settings):
    settings.APPRAISAL_PASS_SHARE = "1/2"
    settings.APPRAISAL_MIN_PARTICIPANTS = 3
    settings.APPRAISAL_ROLES = ROLES
    return settings


def people(*pairs):
    return [{"name": n, "capacity": c} for n, c in pairs]


THREE = people(("张三", "村民代表"), ("李四", "驻村干部"), ("王五", "村(居)委成员"))


@pytest.mark.clause("S10")
@pytest.mark.parametrize(("votes_for", "participants", "outcome"), [
    (2, 3, "supported"), (1, 3, "not_supported"),  # 2 > 1.5, 1 < 1.5
    (3, 6, "not_supported"), (4, 6, "supported"),  # exactly half does not pass
    (0, 1, "not_supported"), (1, 1, "supported"),
])
def test_more_than_half_of_all_participants_passes(votes_for, participants, outcome):
    assert appraisal.outcome_of(votes_for, participants) == outcome


@pytest.mark.clause("S10")
def test_the_pass_share_is_read_from_the_settings_as_an_exact_fraction(appraisal_settings):
    appraisal_settings.APPRAISAL_PASS_SHARE = "2/3"
    assert appraisal.pass_share() == Fraction(2, 3)
    assert appraisal.outcome_of(4, 6) == "not_supported"  # 4 is not more than 2/3 of 6
    assert appraisal.outcome_of(5, 6) == "supported"
    appraisal_settings.APPRAISAL_PASS_SHARE = "0.5"
    assert appraisal.pass_share() == Fraction(1, 2)


def test_the_roles_are_the_settings_list():
    assert appraisal.roles() == ROLES
    assert isinstance(appraisal.roles(), list)


@pytest.mark.clause("S10")
def test_named_participants_with_listed_roles_at_the_minimum_are_taken():
    assert appraisal.check_participants(THREE) is THREE


@pytest.mark.clause("S10")
def test_fewer_than_the_minimum_is_refused_with_the_number(appraisal_settings):
    with pytest.raises(CaseActionError) as exc:
        appraisal.check_participants(THREE[:2])
    assert (exc.value.code, exc.value.message) == ("participants", "民主评议参加人员不少于3人。")
    appraisal_settings.APPRAISAL_MIN_PARTICIPANTS = 2
    assert appraisal.check_participants(THREE[:2]) == THREE[:2]


@pytest.mark.clause("S10")
@pytest.mark.parametrize("name", ["", "   "])
def test_a_participant_without_a_name_is_refused(name):
    crowd = [*THREE, {"name": name, "capacity": "村民代表"}]
    with pytest.raises(CaseActionError) as exc:
        appraisal.check_participants(crowd)
    assert (exc.value.code, exc.value.message) == ("participants", "每位参加人员都须写明姓名。")


def test_a_missing_name_key_is_refused_as_unnamed():
    with pytest.raises(CaseActionError, match="每位参加人员都须写明姓名"):
        appraisal.check_participants([*THREE, {"capacity": "村民代表"}])


@pytest.mark.clause("S10")
def test_participants_without_a_listed_role_are_named_in_the_refusal():
    crowd = [*THREE, {"name": " 赵六 ", "capacity": "亲戚"}, {"name": "钱七"},
             {"name": "孙八", "capacity": " 驻村干部 "}]
    with pytest.raises(CaseActionError) as exc:
        appraisal.check_participants(crowd)
    assert exc.value.code == "participants"
    assert exc.value.message == (
        "请写明每位参加人员的身份（村民代表、村(居)委成员、驻村干部之一）："
        "赵六、钱七的身份未填写或不在其中。")


def test_the_refusal_names_at_most_five_participants():
    crowd = people(*[(f"人{i}", "外人") for i in range(7)])
    with pytest.raises(CaseActionError) as exc:
        appraisal.check_participants(crowd)
    assert exc.value.message.endswith("：人0、人1、人2、人3、人4的身份未填写或不在其中。")


def votes(**kw):
    args = {"votes_for": 2, "votes_against": 1, "votes_abstain": 0, "outcome": "supported",
            "participants": 3}
    args.update(kw)
    return appraisal.check_votes(**args)


@pytest.mark.clause("S10")
def test_votes_that_add_up_with_the_outcome_they_give_are_taken():
    assert votes() is None
    assert votes(votes_for=1, votes_against=1, votes_abstain=1, outcome="not_supported") is None
    assert votes(votes_for=2, votes_against=0, votes_abstain=0) is None  # one absent


@pytest.mark.clause("S10")
@pytest.mark.parametrize("bad", [{"votes_for": -1}, {"votes_against": -1},
                                 {"votes_abstain": -1}, {"votes_for": None},
                                 {"votes_against": None}, {"votes_abstain": None}])
def test_negative_or_missing_votes_are_refused(bad):
    with pytest.raises(CaseActionError) as exc:
        votes(**bad)
    assert (exc.value.code, exc.value.message) == ("votes", "票数不能为负数。")


def test_zero_votes_are_allowed_for_a_side():
    assert votes(votes_for=3, votes_against=0, votes_abstain=0) is None


@pytest.mark.clause("S10")
def test_no_votes_at_all_are_refused():
    with pytest.raises(CaseActionError) as exc:
        votes(votes_for=0, votes_against=0, votes_abstain=0, outcome="not_supported")
    assert (exc.value.code, exc.value.message) == ("votes", "请填写表决票数。")


@pytest.mark.clause("S10")
def test_more_votes_than_participants_are_refused_and_as_many_are_taken():
    assert votes(votes_for=2, votes_against=1, votes_abstain=0, participants=3) is None
    with pytest.raises(CaseActionError) as exc:
        votes(votes_for=2, votes_against=1, votes_abstain=1, participants=3)
    assert (exc.value.code, exc.value.message) == ("votes", "表决票数之和（4）超过参加人数（3）。")


@pytest.mark.clause("S10")
@pytest.mark.parametrize("outcome", ["", "passed", None])
def test_an_outcome_that_is_not_one_of_the_two_is_refused(outcome):
    with pytest.raises(CaseActionError) as exc:
        votes(outcome=outcome)
    assert (exc.value.code, exc.value.message) == ("outcome", "请选择评议结果。")


@pytest.mark.clause("S10")
def test_an_outcome_against_the_votes_is_refused_with_the_rule_in_words(appraisal_settings):
    with pytest.raises(CaseActionError) as exc:
        votes(votes_for=0, votes_against=3, outcome="supported")
    assert exc.value.code == "outcome"
    assert exc.value.message == ("评议结果须与表决一致：参加3人、同意0票，"
                                 "按同意票须过半数参加人数的规则，结果应为“评议未通过”。")
    with pytest.raises(CaseActionError) as exc:
        votes(votes_for=2, votes_against=1, outcome="not_supported")
    assert exc.value.message.endswith("结果应为“评议通过”。")
    appraisal_settings.APPRAISAL_PASS_SHARE = "2/3"
    with pytest.raises(CaseActionError) as exc:
        votes(votes_for=2, votes_against=1, outcome="supported")
    assert "按同意票须超过2/3参加人数的规则" in exc.value.message
