"""The QR code on an issued notice carries the absolute address of the public check page, and
production refuses to start without that address (`documents.checks`)."""

from __future__ import annotations

import pytest
import segno
from django.test import override_settings
from django.urls import reverse

from documents.checks import check_public_base_url
from documents.kinds import DocumentKind
from tests.documents.conftest import issue, pdf_text, stored_bytes
from tests.security.test_hardening import production_env, run_manage


def _ids(**settings) -> list[str]:
    with override_settings(**settings):
        return [m.id for m in check_public_base_url()]


def test_required_when_debug_is_off():
    assert _ids(DEBUG=False, DOCUMENTS_PUBLIC_BASE_URL="") == ["documents.E001"]
    assert _ids(DEBUG=False, DOCUMENTS_PUBLIC_BASE_URL="  ") == ["documents.E001"]
    assert _ids(DEBUG=False, DOCUMENTS_PUBLIC_BASE_URL="https://jiuzhu.lanshan.gov.cn") == []


def test_may_be_empty_in_the_demo():
    assert _ids(DEBUG=True, DOCUMENTS_PUBLIC_BASE_URL="") == []


@pytest.mark.parametrize("value", ["jiuzhu.lanshan.gov.cn", "ftp://jiuzhu.lanshan.gov.cn",
                                   "https://", "https://jiuzhu.lanshan.gov.cn/?a=1"])
def test_must_be_an_absolute_http_address(value):
    assert _ids(DEBUG=True, DOCUMENTS_PUBLIC_BASE_URL=value) == ["documents.E002"]


@pytest.mark.parametrize("value", ["http://127.0.0.1:8000", "https://jiuzhu.lanshan.gov.cn/"])
def test_accepts_http_and_https_addresses(value):
    assert _ids(DEBUG=False, DOCUMENTS_PUBLIC_BASE_URL=value) == []


def test_manage_check_refuses_production_without_the_address():
    env = production_env()
    del env["DOCUMENTS_PUBLIC_BASE_URL"]
    result = run_manage("check", env=env)
    assert result.returncode != 0 and "documents.E001" in result.stderr


@pytest.mark.django_db
def test_the_qr_code_of_an_issued_notice_carries_the_absolute_check_address(
        full_case, leader_a, monkeypatch, settings):
    settings.DOCUMENTS_PUBLIC_BASE_URL = "https://jiuzhu.lanshan.example/"
    encoded: list[str] = []
    make = segno.make

    def spy(content, *args, **kwargs):
        encoded.append(content)
        return make(content, *args, **kwargs)

    monkeypatch.setattr(segno, "make", spy)
    notice = issue(full_case, DocumentKind.REJECTION, leader_a)
    expected = "https://jiuzhu.lanshan.example" + reverse("verify_document", args=[notice.code])
    assert expected in encoded  # the notice's own code (its 送达回证 is issued with it)
    assert all(content.startswith("https://jiuzhu.lanshan.example/verify/") for content in encoded)
    assert "https://jiuzhu.lanshan.example" in pdf_text(stored_bytes(notice))
