"""The exclusions of the means test (vehicles, business registration, state-paid members) as
dated rules of their own (`ExclusionRule`), and the verification source 财政供养人员.

The vehicle and business tests were two flags of `AssetRule`, seeded from a Shenzhen example
(0008). They move here: a row the bureau had confirmed (its note no longer the seed's example
note) keeps its meaning; a row still as seeded becomes "Lanshan rule not found", as does the
new state-paid item — no Lanshan value is known for any of the three (BRIEF §3.2).
"""

import datetime as dt

from django.db import migrations, models

START = dt.date(2013, 4, 1)  # the earliest standard seeded (0008)
EXAMPLE_NOTE = "山东/临沂的规定未查到，暂按示例口径录入，请区民政局确认后修改。"
UNKNOWN_NOTE = "兰山区规定未查到；原家庭财产认定标准中的示例口径（深圳）未沿用。请区民政局确认后按执行日期新增一行。"


def move_flags(apps, schema_editor):
    AssetRule = apps.get_model("cases", "AssetRule")
    ExclusionRule = apps.get_model("cases", "ExclusionRule")
    rows = list(AssetRule.objects.order_by("effective_from"))
    first = rows[0].effective_from if rows else START
    for rule in rows:
        confirmed = rule.note != EXAMPLE_NOTE
        for item, allowed in (("vehicle", rule.car_allowed), ("business", rule.business_allowed)):
            if confirmed:
                verdict = "allowed" if allowed else "excludes"
                source, note = rule.source, f"沿用家庭财产认定标准（{rule.effective_from}起）"
            else:
                verdict, source, note = "unknown", "", UNKNOWN_NOTE
            ExclusionRule.objects.get_or_create(item=item, effective_from=rule.effective_from,
                                                defaults={"verdict": verdict, "source": source,
                                                          "note": note[:200]})
    for item in ("vehicle", "business", "state_paid"):
        if not ExclusionRule.objects.filter(item=item, effective_from__lte=first).exists():
            ExclusionRule.objects.get_or_create(item=item, effective_from=first, defaults={
                "verdict": "unknown", "note": "兰山区规定未查到，请区民政局确认后按执行日期新增一行。"})


def restore_flags(apps, schema_editor):
    AssetRule = apps.get_model("cases", "AssetRule")
    ExclusionRule = apps.get_model("cases", "ExclusionRule")
    for rule in AssetRule.objects.all():
        for item, flag in (("vehicle", "car_allowed"), ("business", "business_allowed")):
            row = (ExclusionRule.objects.filter(item=item, effective_from__lte=rule.effective_from)
                   .order_by("-effective_from").first())
            setattr(rule, flag, row is not None and row.verdict == "allowed")
        rule.save()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_township_office_hours'),
    ]

    operations = [
        migrations.CreateModel(
            name='ExclusionRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('item', models.CharField(choices=[('vehicle', '机动车（残疾人机动轮椅车、摩托车除外）'), ('business', '市场主体登记（个体工商户、企业）'), ('state_paid', '家庭成员为财政供养人员')], max_length=16, verbose_name='排除情形')),
                ('effective_from', models.DateField(verbose_name='执行日期')),
                ('verdict', models.CharField(choices=[('excludes', '有此情形的，不符合条件'), ('allowed', '不作为排除条件'), ('unknown', '兰山区规定未查到（待区民政局确认）')], default='unknown', help_text='山东省、临沂市、兰山区对此项的规定均未查到（资料中仅有外省示例，如深圳低保边缘家庭“除残疾人机动轮椅车、摩托车外无机动车，无市场主体登记”）。未确认前请选择“规定未查到”：计算时只列出核对到的情形并标为“待确认”，不据此认定不符合条件，由审批人依据政策判断。取得区民政局正式口径后，按执行日期新增一行。', max_length=10, verbose_name='认定规则')),
                ('source', models.CharField(blank=True, help_text='文件名称和文号；规定未查到时留空。', max_length=300, verbose_name='依据/来源')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
            ],
            options={
                'verbose_name': '家庭经济状况排除条件',
                'verbose_name_plural': '家庭经济状况排除条件',
                'ordering': ['item', '-effective_from'],
                'constraints': [models.UniqueConstraint(fields=('item', 'effective_from'), name='exclusion_rule_item_date_uniq')],
            },
        ),
        migrations.RunPython(move_flags, restore_flags),
        migrations.RemoveField(
            model_name='assetrule',
            name='business_allowed',
        ),
        migrations.RemoveField(
            model_name='assetrule',
            name='car_allowed',
        ),
        migrations.AlterField(
            model_name='verificationrequest',
            name='source',
            field=models.CharField(choices=[('hukou', '户籍'), ('real_estate', '不动产'), ('vehicle', '车辆'), ('business', '市场主体登记'), ('social_insurance', '社会保险'), ('housing_fund', '住房公积金'), ('tax', '税务'), ('bank', '银行存款'), ('wealth', '理财、证券及商业保险'), ('civil', '婚姻登记及殡葬'), ('state_paid', '财政供养人员')], max_length=20, verbose_name='核对项目'),
        ),
    ]
