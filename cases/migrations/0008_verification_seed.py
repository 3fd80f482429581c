"""Seed the assistance standards and the means-test rules (BRIEF §3, §4), and make the
verification access log append-only on PostgreSQL (S19).

Figures for Linyi/Lanshan as found in the domain brief, each with its source; the district
bureau edits and extends them in the admin (2019 and 2021 onwards were not found). Where no
Shandong/Linyi rule was found (asset limits, temporary-assistance multiples), the rows carry
the example figures the brief cites and say so in their note, for the bureau to confirm.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

LY2018 = "临沂日报2018年9月：临沂市提高城乡低保和特困人员救助供养标准（https://m.yybnet.net/linyi/news/201809/8122566.html）"
LY2020 = "临沂日报2020年7月：临沂市提高社会救助标准（https://m.yybnet.net/linyi/news/202007/10682158.html）"
DZW2013 = "大众网转载：临沂市2013年4月起提高城乡低保标准（http://xiutang16.cn/news/201304/t20130418_8253341.htm）"

STANDARDS = [
    # item, amount, period, effective_from, scope, source, note
    ("dibao_urban", "370", "month", dt.date(2013, 4, 1), "兰山、罗庄、河东三区", DZW2013,
     "执行月份为2013年4月，具体日期未查到，按4月1日录入。"),
    ("dibao_rural", "2000", "year", dt.date(2013, 4, 1), "临沂市", DZW2013,
     "执行月份为2013年4月，具体日期未查到，按4月1日录入。"),
    ("dibao_urban", "520", "month", dt.date(2018, 9, 1), "兰山、罗庄、河东三区", LY2018,
     "各县为500元/月。"),
    ("dibao_rural", "4200", "year", dt.date(2018, 9, 1), "临沂市", LY2018, ""),
    ("tekun_urban", "780", "month", dt.date(2018, 9, 1), "兰山、罗庄、河东三区", LY2018,
     "各县为750元/月。"),
    ("tekun_rural", "5460", "year", dt.date(2018, 9, 1), "临沂市", LY2018, ""),
    ("care_full", "6000", "year", dt.date(2018, 9, 1), "临沂市", LY2018, ""),
    ("care_half", "1800", "year", dt.date(2018, 9, 1), "临沂市", LY2018, ""),
    ("care_self", "360", "year", dt.date(2018, 9, 1), "临沂市", LY2018, ""),
    ("dibao_urban", "600", "month", dt.date(2020, 7, 1), "临沂市城市平均标准", LY2020,
     "全市平均标准（原536元）；兰山区标准请区民政局核实。"),
    ("dibao_rural", "450", "month", dt.date(2020, 7, 1), "临沂市农村平均标准", LY2020,
     "全市平均标准（原399元）；兰山区标准请区民政局核实。"),
    ("tekun_urban", "900", "month", dt.date(2020, 7, 1), "临沂市", LY2020,
     "城市低保标准的150%。"),
    ("tekun_rural", "585", "month", dt.date(2020, 7, 1), "临沂市", LY2020,
     "农村低保标准的130%。"),
    ("care_full", "700", "month", dt.date(2020, 7, 1), "临沂市", LY2020,
     "与最低工资标准挂钩，按公布金额录入。"),
    ("care_half", "400", "month", dt.date(2020, 7, 1), "临沂市", LY2020,
     "与最低工资标准挂钩，按公布金额录入。"),
    ("care_self", "150", "month", dt.date(2020, 7, 1), "临沂市", LY2020,
     "与最低工资标准挂钩，按公布金额录入。"),
]

EXAMPLE = "山东/临沂的规定未查到，暂按示例口径录入，请区民政局确认后修改。"

ASSET_RULES = [
    (dt.date(2013, 4, 1), Decimal("24"), "urban", 1, False, False, False,
     "示例：深圳低保边缘家庭财产认定口径（http://bsy.sz.bendibao.com/bsyDetail/638877.html）",
     EXAMPLE),
]

TEMP_RULES = [
    # kind, effective_from, months_default, months_max, per_person, cap, source, note
    ("emergency", dt.date(2019, 11, 25), Decimal("2"), Decimal("10"), False, Decimal("3000"),
     "倍数：安徽某县示例（http://www.typaotui.com/OpennessContent/show/1406209.html）；"
     "上限：2019年山东乡镇临时救助备用金审批额度（新华社2019-10-23）",
     "急难型一般按月低保标准2倍救助，最高10倍，单次不超过3000元。" + EXAMPLE),
    ("expenditure", dt.date(2019, 11, 25), Decimal("0"), Decimal("10"), False, Decimal("3000"),
     "倍数：安徽某县示例（http://www.typaotui.com/OpennessContent/show/1406209.html）；"
     "上限：2019年山东乡镇临时救助备用金审批额度（新华社2019-10-23）",
     "支出型按家庭自付必需支出救助，最高为月低保标准10倍，单次不超过3000元。" + EXAMPLE),
]

INCOME_TYPES = [
    # code, name, group, counted, note, order
    ("wage", "工资性收入", "wage", True, "扣除个人所得税及个人缴纳的社会保险费后的净额", 10),
    ("business", "经营净收入", "business", True, "经营收入扣除经营费用、税费后的净额", 20),
    ("interest", "利息、股息收入", "property", True, "存款利息、股息红利", 30),
    ("rent", "租金收入", "property", True, "出租房屋、土地等的净收入", 31),
    ("land_transfer", "土地流转收入", "property", True, "承包土地经营权流转收入", 32),
    ("pension", "养老金、离退休金", "transfer", True, "基本养老金、离退休金等", 40),
    ("maintenance", "赡养、抚养、扶养费", "transfer", True, "法定义务人给付的费用", 41),
    ("compensation", "赔偿收入", "transfer", True, "扣除医疗等必需费用后的赔偿", 42),
    ("other", "其他收入", "transfer", True, "", 49),
    ("veterans", "优抚对象抚恤补助金", "excluded", False, "优待抚恤金不计入", 60),
    ("family_planning", "计划生育奖励扶助金", "excluded", False, "", 61),
    ("bravery", "见义勇为奖励金", "excluded", False, "", 62),
    ("scholarship", "奖学金、助学金", "excluded", False, "", 63),
    ("assistance", "社会救助金", "excluded", False, "低保金、特困供养金、临时救助金等", 64),
]


def seed(apps, schema_editor):
    Standard = apps.get_model("cases", "Standard")
    AssetRule = apps.get_model("cases", "AssetRule")
    TempAssistanceRule = apps.get_model("cases", "TempAssistanceRule")
    IncomeType = apps.get_model("cases", "IncomeType")
    for item, amount, period, since, scope, source, note in STANDARDS:
        Standard.objects.get_or_create(item=item, effective_from=since, defaults={
            "amount": Decimal(amount), "period": period, "scope": scope, "source": source,
            "note": note})
    for since, months, base, homes, commercial, car, business, source, note in ASSET_RULES:
        AssetRule.objects.get_or_create(effective_from=since, defaults={
            "financial_months": months, "financial_base": base, "max_homes": homes,
            "commercial_allowed": commercial, "car_allowed": car,
            "business_allowed": business, "source": source, "note": note})
    for kind, since, default, most, per_person, cap, source, note in TEMP_RULES:
        TempAssistanceRule.objects.get_or_create(kind=kind, effective_from=since, defaults={
            "months_default": default, "months_max": most, "per_person": per_person,
            "cap": cap, "source": source, "note": note})
    for code, name, group, counted, note, order in INCOME_TYPES:
        IncomeType.objects.get_or_create(code=code, defaults={
            "name": name, "group": group, "counted": counted, "note": note, "order": order})


def unseed(apps, schema_editor):
    """Leave edited rows alone: remove only what this migration created, unchanged."""
    Standard = apps.get_model("cases", "Standard")
    for item, amount, _period, since, *_rest in STANDARDS:
        Standard.objects.filter(item=item, effective_from=since, amount=Decimal(amount)).delete()


APPEND_ONLY = """
CREATE OR REPLACE FUNCTION cases_verificationaccess_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cases_verificationaccess is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cases_verificationaccess_no_update ON cases_verificationaccess;
CREATE TRIGGER cases_verificationaccess_no_update BEFORE UPDATE OR DELETE
    ON cases_verificationaccess FOR EACH ROW
    EXECUTE FUNCTION cases_verificationaccess_append_only();
"""

DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS cases_verificationaccess_no_update ON cases_verificationaccess;
DROP FUNCTION IF EXISTS cases_verificationaccess_append_only();
"""


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_verification")]
    operations = [
        migrations.RunPython(seed, unseed),
        migrations.RunPython(append_only, drop_append_only),
    ]
