"""The small rules of the publicity services, each at its edge: how text from a form is
stored, the length limit of an objection, the receipt code, the keyed client digest and the
refusal of a forbidden act."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from django.utils import timezone

from cases.errors import CaseActionError
from cases.models import Objection
from publicity import services
from publicity.models import ObjectionDetail


@pytest.mark.parametrize(("raw", "stored"), [
    ("  有异议  ", "有异议"),
    ("第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"),
    ("甲\t乙\n丙", "甲\t乙\n丙"),  # tabs and line breaks are kept
    ("甲\x00乙\x07丙\x1b[31m丁\u200b", "甲乙丙[31m丁"),  # control and format characters go
    ("e\u0301", "\u00e9"),  # NFC
    ("", ""),
    (None, ""),
])
def test_text_from_a_form_is_stored_normalized_without_control_characters(raw, stored):
    assert services.clean_text(raw) == stored


def test_the_objection_text_is_cleaned_and_limited_to_500_characters():
    assert services.MAX_OBJECTION_CHARS == 500
    assert services._check_content("  有\x00异议  ") == "有异议"
    assert services._check_content("字" * 500) == "字" * 500
    with pytest.raises(CaseActionError) as exc:
        services._check_content("字" * 501)
    assert exc.value.code == "content"
    assert exc.value.message == "异议内容不能超过500字，当前为501字。"


@pytest.mark.parametrize("blank", ["", "   ", "\x00\x07", None])
def test_an_empty_objection_is_refused(blank):
    with pytest.raises(CaseActionError) as exc:
        services._check_content(blank)
    assert (exc.value.code, exc.value.message) == ("content", "请填写异议内容。")


def test_the_client_digest_is_a_keyed_hash_and_empty_without_an_address(settings):
    settings.SECRET_KEY = "k" * 50
    expected = hmac.new(("k" * 50).encode(), b"publicity-client:10.0.0.1",
                        hashlib.sha256).hexdigest()[:32]
    assert services.client_digest("10.0.0.1") == expected
    assert len(expected) == 32
    assert services.client_digest("10.0.0.2") != expected
    assert services.client_digest("") == "" and services.client_digest(None) == ""
    settings.SECRET_KEY = "j" * 50
    assert services.client_digest("10.0.0.1") != expected


def test_a_forbidden_act_is_refused_with_the_given_or_the_default_message():
    assert services._require(True) is None
    with pytest.raises(CaseActionError) as exc:
        services._require(False)
    assert (exc.value.code, exc.value.message) == ("forbidden", services.FORBIDDEN)
    assert services.FORBIDDEN == "您没有在该村(社区)办理此项公示业务的权限。"
    with pytest.raises(CaseActionError) as exc:
        services._require(False, "只有协理员可以。")
    assert exc.value.message == "只有协理员可以。"


@pytest.mark.django_db
def test_a_receipt_is_yy_and_eight_characters_read_out_without_confusion(monkeypatch):
    codes = {services._receipt() for _ in range(20)}
    assert all(re.fullmatch(r"YY[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}", c) for c in codes)
    assert len(codes) == 20


@pytest.mark.django_db
def test_a_receipt_already_given_is_never_given_again(monkeypatch, running_entry):
    objection = Objection.objects.create(case=running_entry.case, kind=Objection.Kind.PUBLICITY,
                                         channel=Objection.Channel.PHONE, content="有异议",
                                         lodged_at=timezone.now())
    ObjectionDetail.objects.create(objection=objection, entry=running_entry,
                                   receipt="YY22222222")
    picks = iter("2" * 8 + "3" * 8)
    monkeypatch.setattr(services.secrets, "choice", lambda alphabet: next(picks))
    assert services._receipt() == "YY33333333"


@pytest.mark.django_db
def test_a_case_is_locked_by_itself_or_by_its_number(running_entry):
    case = running_entry.case
    by_case, by_pk = services._lock_case(case), services._lock_case(case.pk)
    assert by_case == by_pk == case
    assert by_case.village == case.village and by_pk.township == case.township


@pytest.mark.django_db
def test_an_objection_recorded_elsewhere_gets_one_detail_with_its_entry(running_entry):
    objection = Objection.objects.create(case=running_entry.case, kind=Objection.Kind.PUBLICITY,
                                         channel=Objection.Channel.PHONE, content="有异议",
                                         lodged_at=timezone.now())
    detail = services.detail_for(objection)
    assert detail.entry == running_entry
    assert re.fullmatch(r"YY[2-9A-Z]{8}", detail.receipt)
    assert services.detail_for(objection) == detail
    assert ObjectionDetail.objects.filter(objection=objection).count() == 1
