"""Public pages: no login, GET only (but the objection form), masked data while the period
runs and only a count after it; the objection form's limits, captcha, rate limit, escaping."""

from __future__ import annotations

import re

import pytest
from captcha.models import CaptchaStore
from django.test import Client
from django.urls import reverse

from cases.models import Objection
from publicity import captcha, ratelimit
from publicity.disclosure import mask_name
from publicity.models import ObjectionDetail

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def village_url(entry, name="public_village"):
    return reverse(name, args=[entry.batch.village.code])


@pytest.mark.clause("S22")
def test_the_village_page_is_public_and_shows_masked_names_during_the_period(client,
                                                                            running_entry):
    applicant = running_entry.case.applicant
    url = village_url(running_entry)
    assert url == f"/gongshi/{running_entry.batch.village.code}/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert mask_name(applicant.name) in html
    assert applicant.name not in html
    assert applicant.id_number not in html
    assert f"{running_entry.case.proposed_amount:,.2f}元/月" in html and "最低生活保障" in html
    assert "0539-8123456" in html  # the township's hotline: how to object
    assert "no-store" in response["Cache-Control"]


@pytest.mark.clause("S6")
def test_after_the_period_the_page_keeps_only_the_count(client, ended_entry):
    applicant = ended_entry.case.applicant
    html = client.get(village_url(ended_entry)).content.decode()
    assert applicant.name not in html
    assert mask_name(applicant.name) not in html
    assert "共1户" in html and "公示期已于" in html
    assert "网上提出异议" not in html


def test_an_unknown_village_is_404(client, db):
    assert client.get("/gongshi/999999999999/").status_code == 404


def test_public_pages_accept_only_get(client, running_entry):
    for url in (village_url(running_entry), reverse("public_policy"),
                reverse("public_leaflet_pdf"), reverse("public_captcha", args=["a" * 40]),
                village_url(running_entry, "public_objection_done")):
        assert client.post(url).status_code == 405, url
    assert client.put(village_url(running_entry, "public_objection")).status_code == 405


# --- The objection form ------------------------------------------------------------------------

CAPTCHA_KEY = re.compile(r'name="captcha_0" value="([0-9a-f]{40})"')


def captcha_key(response) -> str:
    """The key of the captcha challenge a rendered objection form carries."""
    return CAPTCHA_KEY.search(response.content.decode())[1]


def solved(response) -> dict:
    """The captcha fields of `response`'s form, answered with the stored answer."""
    key = captcha_key(response)
    return {"captcha_0": key, "captcha_1": captcha.answer_for(key)}


def wrong(answer: dict) -> dict:
    """The same challenge answered wrongly (every digit changed; never right by chance)."""
    digits = "".join(str((int(d) + 1) % 10) for d in answer["captcha_1"])
    return {**answer, "captcha_1": digits}


def _open_form(client, entry) -> dict:
    response = client.get(village_url(entry, "public_objection"))
    assert response.status_code == 200
    return solved(response)


def _post(client, on, answer: dict, **data):
    payload = {"entry": on.pk, "content": "该户家中有小轿车一辆。", **answer, **data}
    return client.post(village_url(on, "public_objection"), payload)


@pytest.mark.clause("S10")
def test_an_objection_from_the_public_is_recorded_and_the_sender_gets_a_receipt(client,
                                                                               running_entry):
    answer = _open_form(client, running_entry)
    response = _post(client, running_entry, answer, submitter_name="匿名",
                     submitter_contact="13900001111")
    assert response.status_code == 302
    assert response["Location"] == village_url(running_entry, "public_objection_done")
    objection = Objection.objects.get(case=running_entry.case)
    assert (objection.channel, objection.kind, objection.recorded_by) == (
        "online", "publicity", None)
    detail = ObjectionDetail.objects.get(objection=objection)
    done = client.get(response["Location"]).content.decode()
    assert detail.receipt in done
    # Shown once; the text does not stay in the session.
    assert client.get(response["Location"]).status_code == 302
    assert "13900001111" not in client.get(village_url(running_entry)).content.decode()


def test_scripts_in_an_objection_are_stored_as_written_and_shown_escaped(client,
                                                                        running_entry,
                                                                        clerk_a):
    answer = _open_form(client, running_entry)
    _post(client, running_entry, answer, content=SCRIPT, submitter_name="<b>x</b>")
    objection = Objection.objects.get(case=running_entry.case)
    assert objection.content == SCRIPT  # stored as written, through the ORM's parameters
    done = client.get(village_url(running_entry, "public_objection_done")).content.decode()
    assert "<script>" not in done and "&lt;script&gt;" in done
    assert "<img src=x" not in done
    staff = Client()
    staff.force_login(clerk_a)
    page = staff.get(reverse("publicity_batch_detail", args=[running_entry.batch_id]))
    html = page.content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<b>x</b>" not in html


@pytest.mark.parametrize("size", [501, 5000])
def test_oversize_objection_text_is_refused(client, running_entry, size):
    answer = _open_form(client, running_entry)
    response = _post(client, running_entry, answer, content="多" * size)
    assert response.status_code == 400
    assert "异议内容不能超过500字" in response.content.decode()
    assert not Objection.objects.exists()


def test_exactly_the_limit_is_accepted(client, running_entry):
    answer = _open_form(client, running_entry)
    assert _post(client, running_entry, answer, content="多" * 500).status_code == 302


def test_a_wrong_or_missing_captcha_is_refused_and_a_captcha_is_good_for_one_try(
        client, running_entry):
    """Guards: the captcha field of `PublicObjectionForm` (django-simple-captcha's check,
    which deletes a challenge at its first check, right or wrong)."""
    answer = _open_form(client, running_entry)
    response = _post(client, running_entry, wrong(answer))
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    # The page shows a new challenge; the old one is used up, even with its right answer.
    assert captcha_key(response) != answer["captcha_0"]
    assert _post(client, running_entry, answer).status_code == 400
    missing = _post(client, running_entry, {**solved(response), "captcha_1": ""})
    assert missing.status_code == 400 and "请填写验证码" in missing.content.decode()
    assert not Objection.objects.exists()
    assert _post(client, running_entry, solved(missing)).status_code == 302


def test_without_a_captcha_challenge_nothing_is_accepted(client, running_entry):
    response = _post(client, running_entry, {"captcha_0": "f" * 40, "captcha_1": "1234"})
    assert response.status_code == 400
    response = _post(client, running_entry, {"captcha_1": "1234"})
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_an_expired_captcha_is_refused(client, running_entry):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    answer = _open_form(client, running_entry)
    issued = CaptchaStore.objects.get(hashkey=answer["captcha_0"]).expiration
    with time_machine.travel(issued - dt.timedelta(seconds=1), tick=False):
        assert timezone.now() < issued
        assert _post(client, running_entry, answer).status_code == 302
    later = _open_form(client, running_entry)
    expires = CaptchaStore.objects.get(hashkey=later["captcha_0"]).expiration
    with time_machine.travel(expires, tick=False):
        assert _post(client, running_entry, later).status_code == 400
    assert Objection.objects.count() == 1


def test_a_captcha_is_four_digits_and_lives_ten_minutes(client, running_entry):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now(), tick=False):
        answer = _open_form(client, running_entry)
        store = CaptchaStore.objects.get(hashkey=answer["captcha_0"])
        assert store.expiration == timezone.now() + dt.timedelta(minutes=10)
    assert re.fullmatch(r"[0-9]{4}", store.response) and store.challenge == store.response


def test_the_captcha_image_is_a_png_made_here(client, running_entry):
    answer = _open_form(client, running_entry)
    response = client.get(reverse("public_captcha", args=[answer["captcha_0"]]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "no-store" in response["Cache-Control"]
    assert client.get(reverse("public_captcha", args=["0" * 40])).status_code == 404


def test_captcha_answers_accept_full_width_digits(client, running_entry):
    answer = _open_form(client, running_entry)
    full_width = answer["captcha_1"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = _post(client, running_entry, {**answer, "captcha_1": f" {full_width} "})
    assert response.status_code == 302


def test_objections_are_rate_limited_per_sender(client, running_entry, monkeypatch, still_clock):
    monkeypatch.setattr(ratelimit, "OBJECTION_PER_CLIENT", (3, 3600))
    for _ in range(3):
        answer = _open_form(client, running_entry)
        assert _post(client, running_entry, answer).status_code == 302
    answer = _open_form(client, running_entry)
    response = _post(client, running_entry, answer)
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert Objection.objects.count() == 3
    # Another sender is not affected.
    other = Client(REMOTE_ADDR="198.51.100.7")
    answer = _open_form(other, running_entry)
    assert _post(other, running_entry, answer).status_code == 302


def test_failed_attempts_count_against_the_limit_too(client, running_entry, monkeypatch,
                                                    still_clock):
    monkeypatch.setattr(ratelimit, "OBJECTION_PER_CLIENT", (2, 3600))
    answer = _open_form(client, running_entry)
    assert _post(client, running_entry, wrong(answer)).status_code == 400
    assert _post(client, running_entry, wrong(answer)).status_code == 400
    answer = _open_form(client, running_entry)
    assert _post(client, running_entry, answer).status_code == 429


def test_a_village_wide_limit_bounds_many_senders(running_entry, monkeypatch, still_clock):
    monkeypatch.setattr(ratelimit, "OBJECTION_PER_VILLAGE", (2, 3600))
    codes = []
    for i in range(3):
        sender = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        answer = _open_form(sender, running_entry)
        codes.append(_post(sender, running_entry, answer).status_code)
    assert codes == [302, 302, 429]


def test_the_captcha_image_is_rate_limited(client, running_entry, monkeypatch, still_clock):
    monkeypatch.setattr(ratelimit, "CAPTCHA_PER_CLIENT", (2, 600))
    url = reverse("public_captcha", args=[_open_form(client, running_entry)["captcha_0"]])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_the_form_is_csrf_protected(running_entry):
    strict = Client(enforce_csrf_checks=True)
    answer = solved(strict.get(village_url(running_entry, "public_objection")))
    response = strict.post(village_url(running_entry, "public_objection"),
                           {"entry": running_entry.pk, "content": "有异议", **answer})
    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_an_ended_entry_cannot_be_chosen(client, running_entry, ended_entry):
    answer = _open_form(client, running_entry)
    response = _post(client, running_entry, answer, entry=ended_entry.pk)
    assert response.status_code == 400
    assert "不在公示期内" in response.content.decode()


def test_the_form_says_so_when_nothing_is_on_display(client, ended_entry):
    response = client.get(village_url(ended_entry, "public_objection"))
    assert response.status_code == 200
    assert "目前没有正在公示的对象" in response.content.decode()
    assert "<form" not in response.content.decode()


# --- Policy page and leaflet (S22) -------------------------------------------------------------

@pytest.mark.clause("S22")
def test_the_policy_page_shows_procedure_materials_dated_standards_and_windows(client,
                                                                              hotline_a):
    html = client.get(reverse("public_policy")).content.decode()
    for text in ("办理流程", "公示7天", "民主评议", "20个工作日", "社会救助申请书",
                 "无需提供，由部门共享获取", "600元/人·月", "2020年7月1日起", "城市低保标准",
                 "兰山街道", "0539-8123456", "兰山区兰山街道便民服务中心一楼", "枣园镇"):
        assert text in html, text


@pytest.mark.clause("S22")
def test_the_leaflet_is_a_printable_pdf(client, hotline_a):
    import io

    from pypdf import PdfReader

    response = client.get(reverse("public_leaflet_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join("".join(p.extract_text().split()) for p in reader.pages)
    for expected in ("社会救助政策明白纸", "2020年7月1日起", "0539-8123456", "公示7天"):
        assert expected in text, expected
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4


def test_a_changed_standard_shows_with_its_own_date(client, db):
    import datetime as dt
    from decimal import Decimal

    from cases.models import Standard

    Standard.objects.create(item="dibao_urban", amount=Decimal("700"),
                            effective_from=dt.date(2024, 1, 1), scope="兰山区")
    Standard.objects.create(item="dibao_rural", amount=Decimal("999"),
                            effective_from=dt.date(2099, 1, 1))
    html = client.get(reverse("public_policy")).content.decode()
    assert "700元/人·月" in html and "2024年1月1日起" in html
    assert "999元" not in html  # not yet in force
    assert "450元/人·月" in html


def test_only_the_public_views_skip_the_login_and_they_live_under_gongshi():
    from django.urls import get_resolver

    from publicity import urls

    for pattern in urls.urlpatterns:
        public = not getattr(pattern.callback, "login_required", True)
        assert public == pattern.name.startswith("public_"), pattern.name
        assert str(pattern.pattern).startswith("gongshi/" if public else "publicity/")
        assert pattern.name in get_resolver().reverse_dict


def test_public_pages_keep_the_origin_that_the_csrf_check_needs(client, running_entry):
    """Guards: referrer policy `same-origin` in the public pages' meta tag and header (with
    `no-referrer` Chromium sends `Origin: null` and every public POST is refused; the real
    browser test is tests/browser/test_public_forms.py)."""
    for url in (village_url(running_entry), village_url(running_entry, "public_objection"),
                reverse("public_policy"), reverse("public_case_status")):
        response = client.get(url)
        html = response.content.decode()
        assert response["Referrer-Policy"] == "same-origin", url
        assert '<meta name="referrer" content="same-origin">' in html, url
        assert "no-referrer" not in html, url
