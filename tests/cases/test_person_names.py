"""Names in Chinese order (姓名, no space) wherever a person is shown: `accounts.names`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.urls import reverse

from accounts.names import person_name
from cases.demo_cases import build_case
from cases.permissions import Role
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, make_user

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("accounts", "cases", "documents", "publicity", "oversight", "templates", "lanshan_aid")


def _user(**names):
    return get_user_model()(username="clerk_zhang", **names)


def test_family_name_first_without_space():
    assert person_name(_user(last_name="张", first_name="立新")) == "张立新"


def test_only_one_part_is_kept():
    assert person_name(_user(last_name="张", first_name="")) == "张"
    assert person_name(_user(last_name="", first_name="立新")) == "立新"


def test_neither_part_falls_back_to_username_never_blank():
    assert person_name(_user(last_name="", first_name="")) == "clerk_zhang"
    assert person_name(_user(last_name=" ", first_name=" ")) == "clerk_zhang"


def test_no_user_gives_the_default():
    assert person_name(None) == ""
    assert person_name(None, default="系统") == "系统"


def test_template_filter_is_built_in():
    html = Template("{{ u|person_name }}|{{ none|person_name:'系统' }}").render(
        Context({"u": _user(last_name="王", first_name="晓燕"), "none": None}))
    assert html == "王晓燕|系统"


def test_no_product_code_writes_first_name_before_last_name():
    offenders = []
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in (".py", ".html", ".txt") or "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if "get_full_name" in text or re.search(r"last_name\s*\}\}\s*\{\{[^}]*first_name",
                                                    text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.django_db
def test_trail_page_names_the_actor_in_chinese_order(client, village_a, township_a, verifier_a,
                                                     leader_a):
    clerk = make_user("clerk_names", Role.CLERK, townships=[township_a],
                      last_name="张", first_name="立新")
    case = build_case(CaseStatus.INVESTIGATING, household=HouseholdFactory(village=village_a),
                      clerk=clerk, verifier=verifier_a, leader=leader_a)
    client.force_login(clerk)
    html = client.get(reverse("case_trail", args=[case.pk])).content.decode()
    assert "张立新" in html
    assert "立新 张" not in html
