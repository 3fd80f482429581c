"""A rejected staff form is summarized at its top, each error linked to its field."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from cases.forms_case import WithdrawForm
from tests.cases.test_case_summary_moves import accepted_case

pytestmark = pytest.mark.django_db


def _render(form) -> str:
    return Template('{% include "includes/_form_fields.html" %}').render(Context({"form": form}))


def test_a_valid_or_unbound_form_has_no_summary():
    assert "data-error-summary" not in _render(WithdrawForm(prefix="withdraw"))
    assert "data-error-summary" not in _render(
        WithdrawForm({"withdraw-note": "申请人书面申请撤回。"}, prefix="withdraw"))


def test_the_summary_links_each_error_to_its_field():
    form = WithdrawForm({"withdraw-note": "   "}, prefix="withdraw")
    html = _render(form)
    assert html.index("data-error-summary") < html.index('class="fields"')
    assert "请更正以下1项后重新提交" in html
    assert f'<a href="#id_withdraw-note">撤回方式和理由</a>：{form.errors["note"][0]}' in html


def test_the_case_page_comes_back_with_the_summary(client, village_a, clerk_a, verifier_a,
                                                   leader_a):
    case = accepted_case(village_a, clerk_a, verifier_a, leader_a)
    client.force_login(clerk_a)
    response = client.post(reverse("case_action", args=[case.pk, "withdraw"]),
                           {"withdraw-note": "   "})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-error-summary' in html and 'href="#id_withdraw-note"' in html
    assert "js/form_errors.js" in html
