"""Test data: users in roles and places, people with valid ID numbers, households with members.

Townships and villages are not built here: migration 0002 loads the real divisions, and tests
use those rows (see the `township_*` and `village_*` fixtures in conftest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from cases import idnumber, scoping
from cases.models import (
    Household,
    HukouType,
    Membership,
    Person,
    Relationship,
    Township,
    Village,
)
from cases.permissions import Role

PASSWORD = "lanshan-test-pass-2024"

LANSHAN = "371302"
SURNAMES = "王张李刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂英", "建国", "志强", "玉兰", "德明", "海燕", "立新", "凤兰", "守信", "红梅",
         "春生", "淑珍", "文华", "永福", "晓东", "丽娟", "子涵", "浩然", "欣怡", "宇轩", "佳怡"]


def make_user(username: str, role: Role | Iterable[Role] | None, townships=(), villages=(),
              agreement: bool = True, **fields):
    """A user in the group of `role` (or several roles), assigned to townships and villages.

    Assignments go through `scoping.assign_township` / `assign_village`, the same calls the
    application makes, so tests exercise the real permission rows. A verification officer gets
    an open-ended confidentiality agreement on file (S19) unless `agreement=False`.
    """
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role is None:
        roles: tuple[Role, ...] = ()
    elif isinstance(role, Role):
        roles = (role,)
    else:
        roles = tuple(role)
    for r in roles:
        group, _ = Group.objects.get_or_create(name=r.value)
        user.groups.add(group)
    for township in townships:
        scoping.assign_township(user, township)
    for village in villages:
        scoping.assign_village(user, village)
    if agreement and Role.VERIFIER in roles:
        file_agreement(user)
    return user


AGREEMENT_SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def file_agreement(user, valid_from: dt.date = dt.date(2020, 1, 1),
                   valid_to: dt.date | None = None):
    """An open-ended confidentiality agreement for `user`, valid from 2020 (so cases built on a
    simulated past clock are covered too)."""
    from django.core.files.base import ContentFile

    from cases.models import ConfidentialityAgreement

    agreement = ConfidentialityAgreement(user=user, signed_on=valid_from, valid_from=valid_from,
                                         valid_to=valid_to, recorded_by=user, note="测试数据")
    agreement.scan.save("agreement.pdf", ContentFile(AGREEMENT_SCAN), save=False)
    agreement.save()
    return agreement


def _born(n: int) -> dt.date:
    return dt.date(1940, 1, 1) + dt.timedelta(days=(n * 37) % 18000)  # adults: born 1940–1989


class PersonFactory(DjangoModelFactory):
    """A resident with a valid, unique 371302 ID number; gender and birth date follow it."""

    class Meta:
        model = Person

    class Params:
        region = LANSHAN
        born = factory.Sequence(_born)
        order = factory.Sequence(lambda n: n % 1000)

    name = factory.Sequence(lambda n: SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)])
    id_number = factory.LazyAttribute(lambda o: idnumber.make_number(o.region, o.born, o.order))
    birth_date = factory.LazyAttribute(lambda o: idnumber.birth_date_of(o.id_number))
    gender = factory.LazyAttribute(lambda o: idnumber.gender_of(o.id_number))
    hukou_type = HukouType.RURAL


def default_village() -> Village:
    """The first village of 兰山街道 (by code)."""
    return Village.objects.filter(township__code="371302001").order_by("code").first()


class HouseholdFactory(DjangoModelFactory):
    """A household; `members=n` adds a head and n-1 relatives (default: the head only)."""

    class Meta:
        model = Household
        skip_postgeneration_save = True

    village = factory.LazyFunction(default_village)
    address = factory.Sequence(lambda n: f"兰山区测试路{n + 1}号")
    hukou_type = HukouType.RURAL

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = 1
        if isinstance(extracted, int):
            people = [PersonFactory() for _ in range(extracted)]
        else:
            people = list(extracted)
        relatives = [Relationship.SPOUSE, Relationship.SON, Relationship.DAUGHTER,
                     Relationship.PARENT, Relationship.GRANDCHILD]
        for i, person in enumerate(people):
            relationship = Relationship.HEAD if i == 0 else relatives[(i - 1) % len(relatives)]
            Membership.objects.create(household=obj, person=person, relationship=relationship)
        if people:
            obj.head = people[0]
            obj.save(update_fields=["head"])


def township(code: str) -> Township:
    return Township.objects.get(code=code)


def scan_upload(name: str = "评议记录.png"):
    """A small PNG upload standing in for the scan of a signed record."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.demo_cases import demo_image

    return SimpleUploadedFile(name, demo_image(), content_type="image/png")


def appraisal_input(**overrides) -> dict:
    """A valid democratic appraisal as `services.case_record_appraisal` takes it (held today,
    5 村民代表, 4 for, 1 against: passed, signed record attached); `overrides` replace keys."""
    from django.utils import timezone

    data = {
        "held_on": timezone.localdate(), "place": "村委会会议室", "chair": "张书记",
        "participants": [{"name": f"代表{i}", "capacity": "村民代表"} for i in range(5)],
        "votes_for": 4, "votes_against": 1, "votes_abstain": 0, "outcome": "supported",
        "notes": "", "recorder": "李会计", "scan": scan_upload(),
    }
    data.update(overrides)
    return data
