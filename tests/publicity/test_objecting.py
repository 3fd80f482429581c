"""How to object, everywhere (S22, S6): the board sheet and the public village page say where
(the township window's address and office hours), how (hotline, in person, the online form's QR
code) and until when (the last day) to object."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.demo import DEMO_CONTACTS, seed_township_contacts
from publicity import printing
from tests.documents.conftest import pdf_text
from tests.factories import HouseholdFactory
from tests.publicity.builders import publicize

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
HOURS = "周一至周五 上午8:30—12:00，下午13:30—17:00"


@pytest.fixture
def contacts_a(hotline_a):
    hotline_a.office_hours = HOURS
    hotline_a.save(update_fields=["office_hours"])
    return hotline_a


@pytest.fixture
def on_board(village_a, staff_a, contacts_a):
    """A case of village A whose publicity started on 2 November 2026."""
    with time_machine.travel(NOW, tick=False):
        household = HouseholdFactory(village=village_a, members=2)
        case, entry = publicize(household, **staff_a)
    return entry


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.mark.clause("S22", "S6")
def test_the_board_sheet_pdf_says_where_how_and_until_when_to_object(on_board, clerk_a):
    batch = on_board.batch
    client = Client()
    client.force_login(clerk_a)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("publicity_board_pdf", args=[batch.pk, "a4"]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    last_day = _cn(batch.period_end)
    for expected in ("兰山区兰山街道便民服务中心一楼",  # the window's address
                     "0539-8123456",  # the hotline
                     re.sub(r"\s+", "", HOURS),  # office hours
                     f"提出异议的最后一日：{last_day}",
                     f"可于{last_day}（含当日）前",
                     f"/gongshi/{batch.village.code}/yiyi/"):  # the online form under its QR
        assert expected in text, expected


@pytest.mark.clause("S22")
def test_the_board_sheets_qr_code_opens_the_online_objection_form(on_board):
    batch = on_board.batch
    public_url = f"http://testserver/gongshi/{batch.village.code}/"
    html = printing.board_html(batch, public_url=public_url)
    form_url = f"http://testserver/gongshi/{batch.village.code}/yiyi/"
    assert printing.objection_url(public_url, batch.village.code) == form_url
    assert printing.qr_data_uri(form_url) in html
    assert client_resolves(form_url)


def client_resolves(url: str) -> bool:
    from django.urls import resolve

    return resolve(url.removeprefix("http://testserver")).url_name == "public_objection"


@pytest.mark.clause("S22")
def test_the_board_sheet_leaves_out_the_office_hours_line_while_none_are_on_file(
        on_board, contacts_a):
    contacts_a.office_hours = ""
    contacts_a.save(update_fields=["office_hours"])
    html = printing.board_html(on_board.batch, public_url="http://testserver/gongshi/x/")
    assert "办公时间" not in html
    assert "0539-8123456" in html


@pytest.mark.clause("S22", "S6")
def test_the_village_page_says_where_how_and_until_when_to_object(on_board, client):
    batch = on_board.batch
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("public_village", args=[batch.village.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"提出异议的最后一日：<strong>{_cn(batch.period_end)}</strong>" in html
    assert "兰山区兰山街道便民服务中心一楼" in html
    assert "tel:0539-8123456" in html
    assert f"办公时间：{HOURS}" in html
    form_url = f"http://testserver/gongshi/{batch.village.code}/yiyi/"
    assert printing.qr_data_uri(form_url) in html
    assert f"扫码提出异议：{form_url}" in html


def test_the_demo_gives_its_townships_contacts_marked_as_demo_values(township_a):
    township_a.hotline = township_a.address = township_a.office_hours = ""
    township_a.save()
    seed_township_contacts()
    township_a.refresh_from_db()
    assert township_a.hotline == DEMO_CONTACTS["371302001"][0]
    assert "演示" in township_a.hotline and "演示" in township_a.address
    assert "演示" in township_a.office_hours


def test_the_demo_keeps_contacts_the_bureau_has_filled_in(township_a):
    township_a.hotline = "0539-8123456"
    township_a.save(update_fields=["hotline"])
    seed_township_contacts()
    township_a.refresh_from_db()
    assert township_a.hotline == "0539-8123456"



@pytest.mark.clause("S22", "S6")
def test_the_village_page_tells_how_to_object_until_the_end_of_the_last_day_only(on_board,
                                                                                  client):
    """Both edges of the last day: at 23:59 on it the page still says how to object; a minute
    later the sheet is among the ended ones and the how-to section is gone."""
    batch = on_board.batch
    last = dt.datetime.combine(batch.period_end, dt.time(23, 59), tzinfo=SHANGHAI)
    url = reverse("public_village", args=[batch.village.code])
    with time_machine.travel(last, tick=False):
        html = client.get(url).content.decode()
    assert f"提出异议的最后一日：<strong>{_cn(batch.period_end)}</strong>" in html
    assert "对公示对象有异议？" in html
    with time_machine.travel(last + dt.timedelta(minutes=1), tick=False):
        html = client.get(url).content.decode()
    assert "提出异议的最后一日" not in html and "对公示对象有异议？" not in html
    assert f"公示期已于{_cn(batch.period_end)}结束" in html


@pytest.mark.clause("S22")
def test_the_board_sheet_is_not_printed_while_the_township_has_no_hotline(
        on_board, contacts_a, clerk_a):
    """Guards `require_township_hotline` in `printing.board_html`: a sheet that tells villagers
    how to object is never printed without a number to call; the clerk is told which admin page
    the bureau fills it in on, and the sheet page is shown again."""
    contacts_a.hotline = "  "
    contacts_a.save(update_fields=["hotline"])
    batch = on_board.batch
    client = Client()
    client.force_login(clerk_a)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("publicity_board_pdf", args=[batch.pk, "a4"]),
                              follow=True)
    assert response.redirect_chain[-1][0] == reverse("publicity_batch_detail", args=[batch.pk])
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "救助服务电话尚未填写，公示表不能出具" in page
    assert reverse("admin:cases_township_change", args=[contacts_a.pk]) in page
