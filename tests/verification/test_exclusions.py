"""The exclusions of the means test the data sources report — vehicles, business registration,
members paid from public funds (财政供养人员) — as dated rules; no Lanshan value is known, so
the seeded rows say so and a fact under an unknown rule is shown, not judged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cases.models import (
    AssetRule,
    ExclusionItem,
    ExclusionRule,
    ExclusionVerdict,
    VerificationReport,
)
from cases.verification import services as vs
from cases.verification.assessment import (
    AssessmentError,
    AssetFacts,
    ExclusionRuleValue,
    Rules,
    assess,
)
from cases.verification.importer import results_import
from cases.verification.selectors import snapshot_for
from cases.verification.standards import MissingStandard, exclusion_rules_on
from tests.verification.test_assessment import ASSETS, URBAN, dibao, member, tekun
from tests.verification.test_import import xlsx

D = Decimal
SINCE = dt.date(2013, 4, 1)
ITEMS = ("vehicle", "business", "state_paid")
LABELS = {"excludes": "有此情形的，不符合条件", "allowed": "不作为排除条件",
          "unknown": "兰山区规定未查到（待区民政局确认）"}


def rules_with(verdict: str, **per_item: str) -> Rules:
    exclusions = {item: ExclusionRuleValue(item, item, per_item.get(item, verdict),
                                           LABELS[per_item.get(item, verdict)], SINCE)
                  for item in ITEMS}
    return Rules(dibao=URBAN, dibao_urban=URBAN, asset=ASSETS, exclusions=exclusions)


def household(**assets):
    return dibao("urban", [member(1, "王建国", 45), member(2, "李玉兰", 43)],
                 assets=AssetFacts(**assets))


def check_line(result, label):
    return next(line for line in result.lines if line.label == label and line.outcome)


FACTS = [("cars", "机动车", "辆"), ("businesses", "市场主体登记", "个"),
         ("state_paid", "财政供养人员", "人")]


# --- The calculation (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(("fact", "label", "unit"), FACTS)
def test_one_found_under_an_excluding_rule_fails_and_none_passes(fact, label, unit):
    """Guards `_Calc.exclusion_tests` (the excluding branch): both edges, 0 and 1. Each check
    is a line with its name, value, rule and outcome, and a reason."""
    clean = assess(household(), rules_with("excludes"))
    assert clean.eligible and not clean.failed_reasons
    line = check_line(clean, label)
    assert (line.value, line.outcome, line.outcome_label) == (f"0{unit}", "pass", "符合")

    found = assess(household(**{fact: 1}), rules_with("excludes"))
    assert not found.eligible and found.amount == D("0.00")
    line = check_line(found, label)
    assert (line.value, line.outcome, line.outcome_label) == (f"1{unit}", "fail", "不符合")
    assert line.rule == "有此情形的，不符合条件（2013年4月1日起）"
    assert [r.code for r in found.failed_reasons] == [
        {"cars": "cars", "businesses": "business", "state_paid": "state_paid"}[fact]]


@pytest.mark.parametrize(("fact", "label", "unit"), FACTS)
def test_a_fact_under_an_unknown_rule_is_shown_to_be_confirmed_and_decides_nothing(fact, label,
                                                                                 unit):
    """Guards the unknown branch: no rule is invented — the household stays eligible on this
    item, the line says 待确认 and the reason asks the approver to check."""
    result = assess(household(**{fact: 2}), rules_with("unknown"))
    assert result.eligible
    line = check_line(result, label)
    assert (line.value, line.outcome, line.outcome_label) == (f"2{unit}", "unknown", "待确认")
    assert "规定未查到" in line.rule
    [unknown] = result.unknown_reasons
    assert "本项未作认定" in unknown.text and unknown.passed


def test_an_allowing_rule_passes_what_was_found():
    result = assess(household(cars=1, businesses=1, state_paid=1), rules_with("allowed"))
    assert result.eligible and not result.unknown_reasons
    assert {check_line(result, label).outcome for _f, label, _u in FACTS} == {"pass"}


def test_a_motorbike_alone_is_not_a_vehicle_under_an_excluding_rule():
    result = assess(household(exempt_vehicles=1), rules_with("excludes"))
    assert result.eligible
    assert "摩托车1辆，不计" in check_line(result, "机动车").formula


def test_each_item_follows_its_own_rule():
    result = assess(household(cars=1, state_paid=1),
                    rules_with("unknown", vehicle="allowed", state_paid="excludes"))
    assert not result.eligible
    assert [r.code for r in result.failed_reasons] == ["state_paid"]


def test_tekun_applies_the_exclusions_too():
    from dataclasses import replace

    from tests.verification.test_assessment import CARE, TEKUN_URBAN

    inputs = replace(tekun("urban", [member(1, "张老汉", 70, supported=True,
                                            care_level="self")]),
                     assets=AssetFacts(state_paid=1))

    r = rules_with("excludes")
    r = Rules(dibao=r.dibao, dibao_urban=r.dibao_urban, asset=r.asset, tekun=TEKUN_URBAN,
              care=CARE, exclusions=r.exclusions)
    result = assess(inputs, r)
    assert not result.eligible
    assert "state_paid" in {x.code for x in result.failed_reasons}


def test_a_missing_exclusion_rule_is_an_error_not_a_pass():
    rules = Rules(dibao=URBAN, dibao_urban=URBAN, asset=ASSETS, exclusions={})
    with pytest.raises(AssessmentError, match="缺少“机动车”排除条件的认定规则"):
        assess(household(), rules)


def test_the_check_lines_are_stored_as_json_with_rule_and_outcome():
    data = assess(household(state_paid=1), rules_with("unknown")).as_dict()
    line = next(x for x in data["lines"] if x["label"] == "财政供养人员")
    assert line == {"label": "财政供养人员", "formula": "家庭成员中有财政供养人员1人",
                    "value": "1人", "rule": "兰山区规定未查到（待区民政局确认）（2013年4月1日起）",
                    "outcome": "unknown", "outcome_label": "待确认"}
    assert next(r for r in data["reasons"] if r["code"] == "state_paid")["unknown"] is True


# --- The rules table -------------------------------------------------------------------------


pytest_db = pytest.mark.django_db


@pytest_db
def test_the_seeded_rules_invent_no_lanshan_value():
    """Every item has a row from the first standard's date, and each says the rule is not
    known; the old example flags of the asset rule are gone."""
    rows = ExclusionRule.objects.order_by("item")
    assert {r.item for r in rows} == set(ExclusionItem.values)
    assert {r.verdict for r in rows} == {ExclusionVerdict.UNKNOWN}
    assert all(r.effective_from == SINCE and "未查到" in r.note for r in rows)
    assert not hasattr(AssetRule(), "car_allowed")
    help_text = ExclusionRule._meta.get_field("verdict").help_text
    assert "均未查到" in help_text


@pytest_db
def test_the_rule_in_effect_changes_on_its_date_and_not_a_day_before():
    ExclusionRule.objects.create(item="vehicle", effective_from=dt.date(2026, 12, 1),
                                 verdict=ExclusionVerdict.EXCLUDES, source="测试文件")
    assert exclusion_rules_on(dt.date(2026, 11, 30))["vehicle"].verdict == "unknown"
    assert exclusion_rules_on(dt.date(2026, 12, 1))["vehicle"].verdict == "excludes"
    assert exclusion_rules_on(dt.date(2026, 12, 1))["business"].verdict == "unknown"


@pytest_db
def test_a_date_before_any_exclusion_rule_is_a_clear_error():
    with pytest.raises(MissingStandard, match="尚未设置2013年3月31日适用的“机动车"):
        exclusion_rules_on(dt.date(2013, 3, 31))
    assert exclusion_rules_on(SINCE)  # the first day itself is covered


# --- Every path: service, page, import -------------------------------------------------------


@pytest_db
def test_the_service_stores_the_exclusion_lines(case_a, clerk_a):
    """`assessment_record` (the page, the case page section and the API read what it stores):
    with the seeded unknown rules a state-paid member is 待确认, the case stays eligible."""
    a = vs.assessment_record(case=case_a, by=clerk_a, on=dt.date(2026, 11, 26),
                             assets=AssetFacts(homes=1, state_paid=1))
    assert a.eligible
    line = next(x for x in a.result["lines"] if x["label"] == "财政供养人员")
    assert (line["value"], line["outcome"]) == ("1人", "unknown")
    ExclusionRule.objects.create(item="state_paid", effective_from=dt.date(2026, 11, 26),
                                 verdict=ExclusionVerdict.EXCLUDES, source="测试文件")
    again = vs.assessment_record(case=case_a, by=clerk_a, on=dt.date(2026, 11, 26),
                                 assets=AssetFacts(homes=1, state_paid=1))
    assert not again.eligible and again.amount == D("0.00")


@pytest_db
def test_the_assessment_page_shows_each_check_with_its_rule_and_outcome(case_a, clerk_a,
                                                                       client):
    members = [m.person for m in case_a.household.current_members()]
    client.force_login(clerk_a)
    url = reverse("assessment", args=[case_a.pk])
    data = {"m-on": "2026-11-26", "m-financial": "0", "m-homes": "1", "m-commercial": "0",
            "m-cars": "1", "m-exempt_vehicles": "0", "m-businesses": "0", "m-state_paid": "1"}
    for p in members:
        data[f"m-excl_{p.pk}"] = ""
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "认定规则：兰山区规定未查到（待区民政局确认）（2013年4月1日起）" in page
    assert "1人（待确认）" in page and "1辆（待确认）" in page
    assert "？待确认" in page


@pytest_db
@pytest.mark.clause("S20")
def test_an_imported_state_paid_record_reaches_the_report_and_the_calculation(
        case_a, verifier_a, agreement, clerk_a):
    """The city platform's file: 核对项目 财政供养人员, 有记录 → the member counts once in the
    report's facts, and the calculation shows it."""
    requests = vs.verification_query(case=case_a, by=verifier_a, sources=["state_paid"],
                                     purpose="低保申请核对")
    rows = []
    for n, r in enumerate(requests, 1):
        found = "有记录" if n == 1 else "无记录"
        rows.append([r.number, r.person.name, r.person.id_number, "财政供养人员", found,
                     f"SP-{n}", "机关事业单位在编人员" if n == 1 else None, None, None, None,
                     None, None, "", "2026-11-20"])
    results_import(file_name="结果.xlsx", content=xlsx(rows), by=verifier_a, ip="10.1.2.3")
    snapshot = snapshot_for(case_a)
    assert snapshot["assets"]["state_paid"] == 1
    report = VerificationReport(basis=VerificationReport.Basis.RESULTS, snapshot=snapshot)
    assert vs.report_assets(report).state_paid == 1


@pytest_db
def test_the_admin_lists_the_rules_and_says_the_lanshan_value_is_unknown(client, superuser):
    """The bureau edits the rules in the admin; the form says no Lanshan rule was found, and a
    confirmed rule is a new dated row."""
    client.force_login(superuser)
    listing = client.get(reverse("admin:cases_exclusionrule_changelist")).content.decode()
    assert "兰山区规定未查到（待区民政局确认）" in listing
    form = client.get(reverse("admin:cases_exclusionrule_add")).content.decode()
    assert "均未查到" in form
    response = client.post(reverse("admin:cases_exclusionrule_add"), {
        "item": "state_paid", "effective_from": "2027-01-01", "verdict": "excludes",
        "source": "测试文件", "note": ""})
    assert response.status_code == 302
    assert exclusion_rules_on(dt.date(2027, 1, 1))["state_paid"].verdict == "excludes"
    assert exclusion_rules_on(dt.date(2026, 12, 31))["state_paid"].verdict == "unknown"
