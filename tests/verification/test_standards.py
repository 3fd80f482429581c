"""Standards are dated rows seeded from BRIEF §4 and edited in the admin; a date with none in
effect is a clear error, never zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import AssetRule, IncomeType, Standard, StandardItem, TempAssistanceRule
from cases.verification import standards
from cases.verification.standards import MissingStandard

D = Decimal
pytestmark = pytest.mark.django_db


def test_the_linyi_figures_are_seeded_with_their_dates():
    """BRIEF §4: 2013-04, 2018-09-01, 2020-07-01 (dibao urban/rural, tekun, care)."""
    rows = {(s.item, s.effective_from): (s.amount, s.period) for s in Standard.objects.all()}
    assert rows[("dibao_urban", dt.date(2013, 4, 1))] == (D("370.00"), "month")
    assert rows[("dibao_rural", dt.date(2018, 9, 1))] == (D("4200.00"), "year")
    assert rows[("tekun_rural", dt.date(2018, 9, 1))] == (D("5460.00"), "year")
    assert rows[("care_full", dt.date(2018, 9, 1))] == (D("6000.00"), "year")
    assert rows[("dibao_urban", dt.date(2020, 7, 1))] == (D("600.00"), "month")
    assert rows[("dibao_rural", dt.date(2020, 7, 1))] == (D("450.00"), "month")
    assert rows[("tekun_urban", dt.date(2020, 7, 1))] == (D("900.00"), "month")
    assert rows[("care_half", dt.date(2020, 7, 1))] == (D("400.00"), "month")
    assert all(s.source for s in Standard.objects.all())
    assert AssetRule.objects.exists()
    assert TempAssistanceRule.objects.filter(kind="emergency").exists()
    assert not IncomeType.objects.get(code="scholarship").counted
    assert IncomeType.objects.get(code="wage").counted


@pytest.mark.parametrize(("area", "on", "monthly"), [
    ("urban", dt.date(2026, 11, 26), D("600.00")),
    ("urban", dt.date(2020, 6, 30), D("520.00")),
    ("urban", dt.date(2018, 9, 1), D("520.00")),
    ("urban", dt.date(2018, 8, 31), D("370.00")),
    ("rural", dt.date(2019, 5, 1), D("350.00")),  # 4200 a year ÷ 12
    ("rural", dt.date(2014, 1, 1), D("166.67")),  # 2000 a year ÷ 12, to the fen
    ("rural", dt.date(2020, 7, 1), D("450.00")),
])
def test_the_standard_in_effect_is_the_latest_row_on_or_before_the_date(area, on, monthly):
    assert standards.dibao_standard_on(area, on).monthly == monthly


def test_a_date_before_any_standard_is_a_clear_error_naming_it():
    with pytest.raises(MissingStandard) as exc:
        standards.dibao_standard_on("urban", dt.date(2013, 3, 31))
    assert exc.value.message.startswith("尚未设置2013年3月31日适用的城市低保标准")
    assert exc.value.code == "missing_standard"


def test_tekun_care_standard_missing_for_the_date_is_an_error():
    """Care standards start in 2018: a tekun calculation for 2015 is refused, not zero."""
    with pytest.raises(MissingStandard, match="城市特困人员基本生活标准"):
        standards.rules_for("tekun", "urban", dt.date(2015, 1, 1), care_levels=["full"])


def test_temporary_assistance_rule_missing_before_it_took_effect():
    with pytest.raises(MissingStandard, match="急难型临时救助标准"):
        standards.rules_for("temp_emergency", "rural", dt.date(2019, 1, 1))


def test_an_edited_standard_applies_from_its_date():
    """The bureau enters a 2026 Lanshan figure; older dates keep the older one."""
    Standard.objects.create(item=StandardItem.DIBAO_URBAN, amount=D("950"),
                            effective_from=dt.date(2026, 1, 1), source="兰山区民政局")
    assert standards.dibao_standard_on("urban", dt.date(2026, 1, 1)).monthly == D("950")
    assert standards.dibao_standard_on("urban", dt.date(2025, 12, 31)).monthly == D("600.00")
