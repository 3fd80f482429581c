"""Fixtures of the verification tests: agreements, scans, cases ready for verification."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case
from cases.permissions import Role
from cases.verification import services as vs
from tests.factories import make_user


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    from tests.security.world import pdf_bytes

    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def jpeg(width: int = 800, height: int = 600, name: str = "photo.jpg",
         color=(120, 140, 90)) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def scan_all(case, clerk) -> None:
    """Attach a signed-form scan to every adult member's authorization."""
    today = timezone.localdate()
    for person in case.adult_members():
        services.authorization_record(case=case, person=person, signed_on=today, by=clerk,
                                      scan=pdf())


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def agreement(verifier_a, bureau, today):
    return vs.agreement_record(user=verifier_a, signed_on=today - dt.timedelta(days=30),
                               valid_from=today - dt.timedelta(days=30),
                               valid_to=today + dt.timedelta(days=335), scan=pdf(),
                               by=bureau)


@pytest.fixture
def verifier_a(township_a):
    """兰山街道's officer with no agreement on file: these tests file and revoke it themselves."""
    return make_user("verifier_a", Role.VERIFIER, townships=[township_a], agreement=False)


@pytest.fixture
def officer_a(township_a):
    """Another officer of 兰山街道, with an agreement: records the verification of the cases
    the tests build."""
    return make_user("officer_a", Role.VERIFIER, townships=[township_a])


@pytest.fixture
def verifier_b(township_b):
    return make_user("verifier_b", Role.VERIFIER, townships=[township_b], agreement=False)


@pytest.fixture
def case_a(officer_a, household_a, clerk_a, verifier_a, leader_a):
    """A 低保 case of 兰山街道 in verification, every adult's authorization scanned."""
    case = build_case("investigating", household=household_a, clerk=clerk_a,
                      verifier=officer_a, leader=leader_a, days_ago=3)
    scan_all(case, clerk_a)
    return case
