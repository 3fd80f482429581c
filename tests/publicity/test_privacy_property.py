"""Property: whatever the households and cases, nothing private leaves through publicity.

For random households (names, ID numbers, phones, health and disability) and random cases
(kind, amount, a hardship text that even repeats the ID number and phone), put through the
services into publicity: no full 18-character ID number, no phone number and no hardship
text appears in the board sheet's PDF text, the public village page, the public objection
form or the export marked 公开版; online, no full name; and after the period, no name at all.

Each example renders a board sheet PDF (about a second): the suite draws 12 fixed examples
(`derandomize`); `PRIVACY_PROPERTY_EXAMPLES=200` (say) runs a thorough, slower search.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import idnumber
from cases.demo_cases import confirm_posting
from cases.models import DisabilityType, HealthStatus, Person
from publicity import printing
from publicity.disclosure import mask_name
from tests.factories import HouseholdFactory
from tests.publicity.builders import publicize

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("PRIVACY_PROPERTY_EXAMPLES", "12"))

# Characters that appear nowhere in the pages' own text, so a hit can only be a leak.
SURNAMES = "赵钱孙冯褚蒋沈韩秦尤许吕施"
GIVEN = "鑫淼焱垚磊犇骉琦瑾璇珂玥翊骞"
MARKER = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
DIAGNOSES = ["尿毒症透析", "肝硬化晚期", "急性白血病", "肢体残疾二级", "精神分裂症", "脑梗后遗症",
             "乳腺癌术后化疗", "先天性心脏病"]
REGIONS = ["371302", "371311", "371312", "371321"]

ID_ANYWHERE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
MOBILE_ANYWHERE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")

people = st.fixed_dictionaries({
    "name": st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES),
                      st.text(alphabet=GIVEN, min_size=1, max_size=3)),
    "region": st.sampled_from(REGIONS),
    "born": st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2012, 12, 31)),
    "order": st.integers(min_value=0, max_value=999),
    "phone": st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    "health": st.sampled_from(HealthStatus.values),
    "disability": st.sampled_from(DisabilityType.values),
})
households = st.lists(people, min_size=1, max_size=4)
cases = st.fixed_dictionaries({
    "kind": st.sampled_from(["dibao", "tekun", "temp_expenditure"]),
    "diagnosis": st.sampled_from(DIAGNOSES),
    "marker": st.text(alphabet=MARKER, min_size=6, max_size=12),
    "amount": st.decimals(min_value=Decimal("1.00"), max_value=Decimal("99999.99"), places=2),
    "covered": st.none() | st.integers(min_value=1, max_value=6),
})
villages = st.lists(st.tuples(households, cases), min_size=1, max_size=3)


def _plain(text: str) -> str:
    """Text with every kind of whitespace removed: PDF extraction splits lines and spaces
    letters; a number split across a line break must still be found."""
    return "".join(text.split())


def _windows(text: str, size: int = 3) -> list[str]:
    """Every run of `size` characters: a partial leak of a hardship text is a leak."""
    return [text[i:i + size] for i in range(max(1, len(text) - size + 1))]


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _make_household(village, members, used: set[str]):
    persons = []
    for m in members:
        born = m["born"]
        if not persons:  # the head is an adult
            born = min(born, dt.date(1990, 1, 1))
        order = m["order"]
        number = idnumber.make_number(m["region"], born, order)
        while number in used:  # one person, one number
            order = (order + 1) % 1000
            number = idnumber.make_number(m["region"], born, order)
        used.add(number)
        persons.append(Person.objects.create(
            name=m["name"], id_number=number,
            phone=m["phone"], hukou_type="rural", health=m["health"],
            disability_type=m["disability"],
            disability_grade=0 if not m["disability"] else 2))
    return HouseholdFactory(village=village, members=persons)


def _forbidden(household, case) -> tuple[list[str], list[str]]:
    """(strings that must never appear, full names that must not appear online)."""
    never = [case.hardship, _plain(case.hardship), household.address]
    names = []
    for membership in household.current_members():
        person = membership.person
        never += [person.id_number, person.id_number.lower(), person.phone]
        if person.health != HealthStatus.HEALTHY:
            never.append(HealthStatus(person.health).label)
        if person.disability_type:
            never.append(DisabilityType(person.disability_type).label)
        names.append(person.name)
    return never, names


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=villages, ended=st.booleans())
def test_no_id_number_phone_or_hardship_reason_leaves_through_publicity(
        plan, ended, village_a, clerk_a, verifier_a, leader_a, hotline_a):
    """Board PDF, public page, objection form and public export, for random households.

    clause: S6, S22
    """
    staff = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}
    with transaction.atomic():
        built, used = [], set()
        for members, spec in plan:
            household = _make_household(village_a, members, used)
            head = household.head
            hardship = (f"{spec['diagnosis']}，无劳动能力；身份证{head.id_number}；"
                        f"电话{head.phone}；{spec['marker']}")
            case, entry = publicize(household, kind=spec["kind"], hardship=hardship,
                                    amount=spec["amount"], covered_persons=spec["covered"],
                                    override_reason="金额经镇街集体研究确定。",
                                    days_ago=10 if ended else 1, posted=False, **staff)
            built.append((household, case, entry))
        batch = built[0][2].batch
        # One sheet for all of them, posted on the board once: the period starts then.
        confirm_posting(built[0][1], by=clerk_a,
                        posted_at=timezone.now() - dt.timedelta(days=10 if ended else 1, hours=-3))
        assert all(entry.batch_id == batch.pk for _h, _c, entry in built)

        code = village_a.code
        public = Client()
        page = public.get(reverse("public_village", args=[code])).content.decode()
        form = public.get(reverse("public_objection", args=[code])).content.decode()
        staff_client = Client()
        staff_client.force_login(clerk_a)
        export = staff_client.get(reverse("publicity_batch_export", args=[batch.pk])
                                  ).content.decode("utf-8-sig")
        board = _pdf_text(printing.board_pdf(
            batch, public_url=f"http://testserver/gongshi/{code}/", size="a4"))

        outputs = {"board": _plain(board), "page": page, "form": form, "export": export}
        for where, text in outputs.items():
            assert not ID_ANYWHERE.search(_plain(text)), where
            assert not MOBILE_ANYWHERE.search(_plain(text)), where
            for household, case, _entry in built:
                never, names = _forbidden(household, case)
                for secret in never:
                    assert secret not in text, (where, secret)
                for fragment in _windows(case.hardship.split("，")[0]) + _windows(
                        case.hardship.rsplit("；", 1)[1]):
                    assert fragment not in text, (where, fragment)
                if where != "board":  # online: masked names only, and none after the period
                    for name in names:
                        assert name not in text, (where, name)
                    if ended:
                        assert mask_name(case.applicant.name) not in text, (where, "masked")
        for _household, case, _entry in built:
            assert _plain(case.applicant.name) in outputs["board"]  # the paper sheet names
            if not ended:
                assert mask_name(case.applicant.name) in page
        transaction.set_rollback(True)
