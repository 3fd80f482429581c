"""Demo data: the users of the README and realistic households in three townships.

Deterministic (a fixed random seed), so re-running creates nothing twice. Demo only: the
password below is published in the README.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from cases import idnumber, scoping
from cases.households import household_save
from cases.models import Household, Township, Village
from cases.permissions import Role

DEMO_PASSWORD = "Lanshan@2026"  # noqa: S105 - published demo credential
TOWNSHIP_A, TOWNSHIP_B, TOWNSHIP_C = "371302001", "371302102", "371302004"

SURNAMES = "王张李刘陈杨赵孙徐朱高马胡郭林何宋郑谢韩唐冯于董程曹袁邓许沈彭吕苏卢蒋蔡贾丁魏薛叶" \
           "阎潘杜戴夏田任姜范方石姚谭邹金陆郝孔白崔康毛邱秦史顾侯邵孟段雷钱汤尹常武乔贺庞颜"
MALE_GIVEN = ["建国", "国强", "志刚", "德明", "玉山", "传亮", "长春", "守田", "兆林", "庆福",
              "文华", "振东", "家兴", "立新", "宝山", "连生", "金柱", "永安", "洪波", "明亮",
              "子轩", "浩然", "宇航", "俊杰", "文博", "一鸣"]
FEMALE_GIVEN = ["秀英", "桂兰", "玉珍", "凤霞", "淑芬", "春梅", "翠华", "兰英", "美玲", "金凤",
                "丽娟", "海燕", "晓燕", "红梅", "彩云", "雪梅", "欣怡", "梓涵", "诗雨", "子涵",
                "雨桐", "佳怡"]
STREETS = ["沂河路", "通达路", "解放路", "兰山路", "金雀山路", "银雀山路", "涑河北街", "沂蒙路",
           "蒙山大道", "水田路"]

USERS = [
    # username, full name, role, township codes, village picks (index into township A's list)
    ("clerk_a", "王晓燕", Role.CLERK, [TOWNSHIP_A], []),
    ("clerk_b", "李建华", Role.CLERK, [TOWNSHIP_B], []),
    ("verifier_a", "张立新", Role.VERIFIER, [TOWNSHIP_A], []),
    ("assistant_a", "刘春梅", Role.ASSISTANT, [], [0]),
    ("leader_a", "陈振东", Role.LEADER, [TOWNSHIP_A], []),
    ("bureau", "赵文华", Role.BUREAU, [], []),
]


def _name(rng: random.Random, gender: str, surname: str | None = None) -> str:
    given = rng.choice(MALE_GIVEN if gender == "M" else FEMALE_GIVEN)
    return (surname or rng.choice(SURNAMES)) + given


def _person(rng: random.Random, used: set[str], born: dt.date, gender: str, region="371302"):
    while True:
        order = rng.randrange(0, 500) * 2 + (1 if gender == "M" else 0)
        number = idnumber.make_number(region, born, order)
        if number not in used:
            used.add(number)
            return number


def _birth(rng: random.Random, start_year: int, end_year: int) -> dt.date:
    start = dt.date(start_year, 1, 1).toordinal()
    end = dt.date(end_year, 12, 28).toordinal()
    return dt.date.fromordinal(rng.randrange(start, end))


def seed_users(stdout=None) -> dict[str, object]:
    User = get_user_model()
    a_villages = list(Village.objects.filter(township__code=TOWNSHIP_A).order_by("code"))
    users = {}
    for username, full_name, role, townships, village_picks in USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(DEMO_PASSWORD)
        user.first_name = full_name[1:]
        user.last_name = full_name[0]
        user.is_staff = role in (Role.BUREAU,)
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        for code in townships:
            scoping.assign_township(user, Township.objects.get(code=code))
        for index in village_picks:
            scoping.assign_village(user, a_villages[index])
        users[username] = user
    admin, created = User.objects.get_or_create(username="admin", defaults={
        "is_staff": True, "is_superuser": True, "last_name": "系", "first_name": "统管理员"})
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    admin.groups.add(Group.objects.get(name=Role.SYSADMIN.value))
    users["admin"] = admin
    return users


def seed_households(count_per_township=(20, 12, 10), seed: int = 2026) -> list[Household]:
    """Households in A (兰山街道), B (枣园镇), C (柳青街道); assistant_a's village first."""
    rng = random.Random(seed)
    used: set[str] = set()
    created: list[Household] = []
    plans = zip([TOWNSHIP_A, TOWNSHIP_B, TOWNSHIP_C], count_per_township, strict=True)
    for code, count in plans:
        villages = list(Village.objects.filter(township__code=code).order_by("code")[:6])
        for i in range(count):
            village = villages[0] if i < 6 else rng.choice(villages)
            surname = rng.choice(SURNAMES)
            shape = rng.choice(["elderly_alone", "elderly_couple", "family", "single_parent",
                                "disabled", "family"])
            members = _household_members(rng, used, surname, shape)
            rural = village.kind == "village"
            address = (f"{village.short_name}{rng.randrange(1, 90)}号" if rural else
                       f"{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
                       f"{rng.randrange(1, 9)}单元{rng.randrange(101, 602)}室")
            head_number = members[0]["id_number"]
            from cases.models import Membership
            existing = Membership.objects.filter(person__id_number=head_number,
                                                 ended_on__isnull=True).first()
            if existing:
                created.append(existing.household)
                continue
            household = Household(village=village, address=address,
                                  hukou_type="rural" if rural else "urban")
            for m in members:
                m["hukou_type"] = household.hukou_type
            created.append(household_save(household=household, members=members))
    return created


def _member(rng, used, name, born, gender, relationship, **extra) -> dict:
    data = {
        "name": name, "id_number": _person(rng, used, born, gender),
        "relationship": relationship, "phone": "", "disability_grade": 0,
        "disability_type": "", "health": "healthy", "labour_capacity": "full",
        "occupation": "",
    }
    data.update(extra)
    return data


def _household_members(rng, used, surname, shape) -> list[dict]:
    phone = f"1{rng.choice([35, 37, 39, 52, 58, 80, 86])}{rng.randrange(10**7, 10**8)}"
    if shape == "elderly_alone":
        g = rng.choice("MF")
        return [_member(rng, used, _name(rng, g, surname), _birth(rng, 1936, 1950), g, "head",
                        phone=phone, health="chronic", labour_capacity="none",
                        occupation="无")]
    if shape == "elderly_couple":
        return [
            _member(rng, used, _name(rng, "M", surname), _birth(rng, 1940, 1954), "M", "head",
                    phone=phone, health="chronic", labour_capacity="none", occupation="务农"),
            _member(rng, used, _name(rng, "F"), _birth(rng, 1942, 1956), "F", "spouse",
                    health="serious", labour_capacity="none"),
        ]
    if shape == "single_parent":
        return [
            _member(rng, used, _name(rng, "F"), _birth(rng, 1978, 1992), "F", "head",
                    phone=phone, occupation="灵活就业", labour_capacity="partial"),
            _member(rng, used, _name(rng, "M", surname), _birth(rng, 2011, 2019), "M", "son",
                    occupation="学生"),
        ]
    if shape == "disabled":
        return [
            _member(rng, used, _name(rng, "M", surname), _birth(rng, 1960, 1975), "M", "head",
                    phone=phone, health="disabled", disability_grade=rng.choice([1, 2]),
                    disability_type=rng.choice(["physical", "intellectual", "visual"]),
                    labour_capacity="none", occupation="无"),
            _member(rng, used, _name(rng, "F"), _birth(rng, 1962, 1976), "F", "spouse",
                    occupation="务农", labour_capacity="partial", health="chronic"),
        ]
    return [
        _member(rng, used, _name(rng, "M", surname), _birth(rng, 1968, 1985), "M", "head",
                phone=phone, occupation="务工", health="serious", labour_capacity="partial"),
        _member(rng, used, _name(rng, "F"), _birth(rng, 1970, 1986), "F", "spouse",
                occupation="务农"),
        _member(rng, used, _name(rng, rng.choice("MF"), surname), _birth(rng, 2008, 2016),
                rng.choice("MF"), rng.choice(["son", "daughter"]), occupation="学生"),
        _member(rng, used, _name(rng, "F", rng.choice(SURNAMES)), _birth(rng, 1944, 1952),
                "F", "parent", health="chronic", labour_capacity="none"),
    ]


DEMO_OVERRIDE = {"covered_persons": 1, "amount": Decimal("500.00"),
                 "override_reason": "另一名家庭成员已在外地纳入特困供养，本户按1人保障；"
                                    "金额经镇街集体研究确定。"}
# (state, kind, days ago the history starts[, build_case options]) for township A; B gets a few
# of its own. Every case past publicity went through a confirmed posting (`build_case`).
DEMO_CASES_A = [
    ("received", "dibao", 1),
    ("investigating", "dibao", 5),
    ("investigating", "temp_expenditure", 26),  # decision clock at risk
    ("investigating", "tekun", 40),  # decision clock breached
    ("recheck", "dibao", 12),
    ("in_publicity", "dibao", 3),  # the sheet confirmed posted on the village board
    ("in_publicity", "tekun", 1, {"posted": False}),  # proposed; the sheet not yet posted
    ("awaiting_appraisal", "dibao", 20),
    ("awaiting_sign_off", "tekun", 18),
    # The amount departs from the calculation, with the reason: flagged, signed one by one.
    ("awaiting_sign_off", "dibao", 16, {"override": DEMO_OVERRIDE}),
    ("approved", "dibao", 60),
    ("suspended", "dibao", 90),
    ("terminated", "dibao", 120),
    ("rejected", "dibao", 30),
    ("withdrawn", "dibao", 8),
    ("emergency_reported", "temp_emergency", 0),
    ("aid_given", "temp_emergency", 2),
    ("closed", "temp_emergency", 15),
]
DEMO_CASES_B = [("investigating", "dibao", 6), ("awaiting_sign_off", "dibao", 20)]


def seed_cases(users: dict, households: list[Household]) -> list:
    """Cases in every state (through the services, on a simulated clock). Idempotent: a
    township that already has cases gets none."""
    from cases.demo_cases import build_case
    from cases.models import Case

    leader_b = _demo_leader_b()
    verifier_b = _demo_verifier_b()
    plans = [
        (TOWNSHIP_A, DEMO_CASES_A, users["clerk_a"], users["verifier_a"], users["leader_a"]),
        (TOWNSHIP_B, DEMO_CASES_B, users["clerk_b"], verifier_b, leader_b),
    ]
    built = []
    for code, plan, clerk, verifier, leader in plans:
        if Case.objects.filter(township__code=code).exists():
            continue
        pool = [h for h in households if h.village.township.code == code]
        for (state, kind, days_ago, *options), household in zip(plan, pool, strict=False):
            built.append(build_case(state, household=household, clerk=clerk,
                                    verifier=verifier, leader=leader, kind=kind,
                                    days_ago=days_ago, **(options[0] if options else {})))
    return built


def _demo_leader_b():
    return _extra_user("leader_b", "孙德明", Role.LEADER, TOWNSHIP_B)


def _demo_verifier_b():
    return _extra_user("verifier_b", "周海燕", Role.VERIFIER, TOWNSHIP_B)


def _extra_user(username, full_name, role, township_code):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={
        "last_name": full_name[0], "first_name": full_name[1:]})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get(name=role.value))
    scoping.assign_township(user, Township.objects.get(code=township_code))
    return user


# Contact details of the demo's three townships. Made up for the demo and marked as such: the
# real hotlines, addresses and hours are kept by the bureau in the admin (镇街(经开区)).
DEMO_CONTACTS = {
    TOWNSHIP_A: ("0539-0000001（演示号码）", "兰山街道便民服务中心一楼社会救助窗口（演示地址）"),
    TOWNSHIP_B: ("0539-0000002（演示号码）", "枣园镇便民服务中心社会救助窗口（演示地址）"),
    TOWNSHIP_C: ("0539-0000003（演示号码）", "柳青街道便民服务中心社会救助窗口（演示地址）"),
}
DEMO_OFFICE_HOURS = "周一至周五 上午8:30—12:00，下午13:30—17:00（演示）"


def seed_township_contacts() -> None:
    """Hotline, address and office hours of the demo townships, where none is on file."""
    for code, (hotline, address) in DEMO_CONTACTS.items():
        township = Township.objects.get(code=code)
        township.hotline = township.hotline or hotline
        township.address = township.address or address
        township.office_hours = township.office_hours or DEMO_OFFICE_HOURS
        township.save(update_fields=["hotline", "address", "office_hours"])


@transaction.atomic
def seed_all(stdout=None) -> dict:
    from cases.management.commands.sync_roles import sync_roles

    sync_roles()
    seed_township_contacts()
    users = seed_users()
    households = seed_households()
    from cases.verification.demo import seed_verification

    # 核对 by township B's officer needs an agreement on file before its cases are built (S19).
    _demo_leader_b()
    _demo_verifier_b()
    seed_verification(by=users["bureau"])
    cases = seed_cases(users, households)
    seed_verification(by=users["bureau"])
    seed_payee_accounts(users, households)
    return {"users": users, "households": households, "cases": cases}


def _demo_card_scan():
    """A placeholder "scan" of a bank card (a grey card on white, PNG): demo data only."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), "white")
    ImageDraw.Draw(image).rounded_rectangle((40, 40, 600, 360), radius=24, fill=(200, 200, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("demo-card.png", out.getvalue(), content_type="image/png")


def seed_payee_accounts(users: dict, households: list[Household]) -> None:
    """Payee accounts for township A's households (demo numbers, not real accounts) and one
    account change asked for by clerk_a, waiting for leader_a's confirmation. Idempotent."""
    from cases.models import AccountChange, Case
    from cases.payee import account_change_request
    from cases.workflow import CaseStatus

    pool = [h for h in households if h.village.township.code == TOWNSHIP_A]
    for household in pool:
        if not household.bank_account:
            household.bank_name = "临沂农商银行兰山支行"
            household.bank_account = f"62231900{household.pk:011d}"
            household.save(update_fields=["bank_name", "bank_account"])
    if not pool or AccountChange.objects.exists():
        return
    approved = (Case.objects.filter(township__code=TOWNSHIP_A, status=CaseStatus.APPROVED)
                .order_by("pk").first())
    household = approved.household if approved is not None else pool[0]
    household.refresh_from_db()
    account_change_request(
        household=household, bank_name="中国农业银行临沂兰山支行",
        bank_account=f"62284800{household.pk:011d}",
        reason="原银行卡遗失，已在农业银行补办新卡（演示数据）。", scan=_demo_card_scan(),
        by=users["clerk_a"])
