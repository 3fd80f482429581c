"""Every document kind, issued from data created through the ORM and read back from the PDF.

clause: S13
"""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import TemplateSyntaxError
from django.utils import timezone

from cases.models import Case
from documents.context import build_context, freeze
from documents.formatting import cn_date
from documents.kinds import SPECS, DocumentKind
from documents.render import RenderError, html_to_pdf, render_html, render_pdf
from tests.documents.conftest import (
    APPLICANT,
    CASE_NUMBER,
    CHILD,
    SPOUSE,
    issue,
    page_count,
    pdf_text,
    stored_bytes,
)

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S13")]


def _today() -> str:
    return cn_date(timezone.localdate())


def _read(document) -> str:
    return pdf_text(stored_bytes(document))


def _assert_common(text: str, title: str, *names: str, date: str) -> None:
    assert title in text
    assert CASE_NUMBER in text
    for name in names:
        assert name in text, name
    assert date in text


def test_every_kind_has_a_template_title_and_prefix():
    for kind in DocumentKind:
        spec = SPECS[kind]
        assert spec.template.startswith("documents/kinds/") and spec.title and spec.prefix
    labels = [k.label for k in DocumentKind]
    for wanted in ("社会救助申请书", "家庭经济状况核对授权书", "诚信声明", "委托授权书",
                   "一次性告知书", "受理通知书", "入户调查表", "家庭经济状况核对报告", "复核报告",
                   "审核审批表", "批准通知书", "不予批准告知书", "低保金调整(停发)告知书",
                   "临时救助登记审批表", "民主评议记录", "送达回证"):
        assert any(wanted in label for label in labels), wanted


def test_only_rejection_and_adjustment_notices_require_delivery():
    assert {k for k in DocumentKind if k.needs_delivery} == {K.REJECTION, K.ADJUSTMENT}


@pytest.mark.clause("S15")
def test_application_lists_every_member_and_the_applied_date(full_case, clerk_a, people):
    doc = issue(full_case, K.APPLICATION, clerk_a)
    text = _read(doc)
    _assert_common(text, "社会救助申请书", APPLICANT, SPOUSE, CHILD,
                   date=cn_date(full_case.applied_at))
    assert people["spouse"].id_number in text  # the form the applicant signs: full numbers
    assert "最低生活保障" in text


@pytest.mark.clause("S15")
def test_authorization_names_the_member_who_authorizes(full_case, clerk_a, people):
    doc = issue(full_case, K.AUTHORIZATION, clerk_a, person=people["spouse"])
    text = _read(doc)
    _assert_common(text, "家庭经济状况核对授权书", SPOUSE, APPLICANT, date=_today())
    assert people["spouse"].id_number in text
    assert doc.person == people["spouse"]


@pytest.mark.clause("S15")
def test_declaration_names_every_member(full_case, clerk_a):
    text = _read(issue(full_case, K.DECLARATION, clerk_a))
    _assert_common(text, "诚信声明及承诺书", APPLICANT, SPOUSE, CHILD, date=_today())


@pytest.mark.clause("S15")
def test_proxy_authorization_names_principal_and_agent(full_case, clerk_a):
    doc = issue(full_case, K.PROXY, clerk_a,
                extra={"agent_name": "刘海燕", "agent_relation": "社区协理员"})
    _assert_common(_read(doc), "委托授权书", APPLICANT, "刘海燕", date=_today())


@pytest.mark.clause("S14")
def test_one_time_notice_marks_shared_items_as_not_to_be_provided(full_case, clerk_a):
    text = _read(issue(full_case, K.ONE_TIME_NOTICE, clerk_a))
    _assert_common(text, "一次性告知书", APPLICANT, date=_today())
    assert text.count("无需提供(部门共享获取)") >= 5
    assert "户籍信息(户口簿)无需提供(部门共享获取)" in text


def test_acceptance_notice_states_acceptance_and_due_dates(full_case, clerk_a):
    doc = issue(full_case, K.ACCEPTANCE, clerk_a)
    text = _read(doc)
    _assert_common(text, "受理通知书", APPLICANT, date=cn_date(full_case.accepted_at))
    due = full_case.deadlines.get(kind="decision").due_at
    assert cn_date(due) in text
    assert _today() in text  # the seal block's date
    assert doc.number == f"兰山街道〔{timezone.localdate().year}〕受字第0001号"
    assert doc.number in text


def test_home_visit_form_shows_investigators_and_visit_date(full_case, clerk_a):
    text = _read(issue(full_case, K.HOME_VISIT, clerk_a))
    visit = full_case.home_visits.get()
    _assert_common(text, "入户调查", APPLICANT, SPOUSE, CHILD, "赵立新", "孙春生",
                   date=cn_date(visit.visited_on))
    assert "自建房两间" in text


def test_verification_report_shows_income_and_date(full_case, verifier_a):
    text = _read(issue(full_case, K.VERIFICATION_REPORT, verifier_a))
    report = full_case.verification_reports.get(is_recheck=False)
    _assert_common(text, "家庭经济状况核对报告", APPLICANT, SPOUSE,
                   date=cn_date(report.recorded_at))
    assert "600.00元" in text and "200.00元" in text  # household and per capita (3 persons)


@pytest.mark.clause("S5")
def test_recheck_report_shows_objection_and_new_result(full_case, verifier_a):
    doc = issue(full_case, K.RECHECK_REPORT, verifier_a)
    text = _read(doc)
    report = full_case.verification_reports.get(is_recheck=True)
    _assert_common(text, "低保家庭经济状况复核报告", APPLICANT, date=cn_date(report.recorded_at))
    assert "养老金数额有误" in text and "540.00元" in text
    assert doc.title == "低保家庭经济状况复核报告"


@pytest.mark.clause("S7")
def test_approval_table_has_amounts_signatures_and_seal_block(full_case, leader_a):
    text = _read(issue(full_case, K.APPROVAL_FORM, leader_a))
    _assert_common(text, "审核审批表", APPLICANT, SPOUSE, CHILD,
                   date=cn_date(full_case.decided_at))
    assert "1,234.50元" in text and "壹仟贰佰叁拾肆元伍角整" in text
    assert "分管领导" in text and "leader_a" in text  # the signing leader (no image: name)
    assert "经办人" in text and "（盖章）" in text


def test_approval_notice_states_amount_and_first_month(full_case, leader_a):
    text = _read(issue(full_case, K.APPROVAL_NOTICE, leader_a))
    _assert_common(text, "批准通知书", APPLICANT, date=cn_date(full_case.decided_at))
    assert "1,234.50元" in text and "壹仟贰佰叁拾肆元伍角整" in text
    assert "保障人数3人" in text


@pytest.mark.clause("S8")
def test_rejection_notice_states_reasons_and_remedies(full_case, leader_a):
    text = _read(issue(full_case, K.REJECTION, leader_a))
    _assert_common(text, "不予批准告知书", APPLICANT, date=_today())
    assert "家庭月人均收入高于当地低保标准" in text
    assert "60日内向临沂市兰山区人民政府申请行政复议" in text
    assert "6个月内依法向有管辖权的人民法院提起行政诉讼" in text
    assert "申请行政复议的最后一日为" in text


@pytest.mark.clause("S8")
def test_rejection_notice_without_reason_is_refused(case, leader_a):
    from documents.services import DocumentError

    with pytest.raises(DocumentError, match="理由"):
        issue(case, K.REJECTION, leader_a)


@pytest.mark.clause("S16")
def test_adjustment_notice_states_old_and_new_amounts(full_case, leader_a):
    doc = issue(full_case, K.ADJUSTMENT, leader_a, extra={
        "change": "adjust", "old_amount": Decimal("1234.50"), "new_amount": Decimal("800"),
        "effective_month": "2027-01", "reason": "家庭成员就业，收入增加。",
    })
    text = _read(doc)
    _assert_common(text, "低保金调整(停发)告知书", APPLICANT, date=_today())
    assert "由1,234.50元调整为800.00元" in text and "捌佰元整" in text
    assert "2027年1月起" in text and "收入增加" in text and "申请行政复议" in text


@pytest.mark.clause("S16")
def test_stoppage_notice_uses_the_case_reason(full_case, leader_a):
    text = _read(issue(full_case, K.ADJUSTMENT, leader_a, extra={"change": "terminate"}))
    assert "停止发放保障金" in text and "家庭月人均收入高于当地低保标准" in text


@pytest.mark.clause("S11")
def test_temporary_assistance_form_shows_recipient_reason_and_amount(
        household, people, township_a, village_a, clerk_a, leader_a):
    now = timezone.now()
    case = Case.objects.create(
        number=CASE_NUMBER, kind="temp_emergency", household=household,
        applicant=people["applicant"], township=township_a, village=village_a,
        applied_at=now, created_by=clerk_a, reported_at=now, aid_given_at=now,
        aid_amount=Decimal("2000"), aid_reason="家中失火，生活用品损毁。",
    )
    text = _read(issue(case, K.TEMP_REGISTRATION, leader_a))
    _assert_common(text, "临时救助登记审批表", APPLICANT, date=_today())
    assert "2,000.00元" in text and "贰仟元整" in text and "家中失火" in text
    assert "临时救助(急难型)" in text


@pytest.mark.clause("S10")
def test_appraisal_record_lists_participants_votes_and_date(full_case, clerk_a):
    text = _read(issue(full_case, K.APPRAISAL_RECORD, clerk_a))
    appraisal = full_case.appraisals.get()
    _assert_common(text, "民主评议记录", APPLICANT, "周文华", "吴淑珍", "马永福",
                   date=cn_date(appraisal.held_on))
    assert "同意12票，反对2票，弃权1票" in text and "子女有赡养能力" in text
    assert "吴淑珍（居民代表）" in text


@pytest.mark.clause("S16")
def test_delivery_receipt_names_the_served_document(full_case, leader_a, clerk_a):
    served = issue(full_case, K.REJECTION, leader_a)
    text = _read(issue(full_case, K.DELIVERY_RECEIPT, clerk_a,
                       extra={"document_id": served.pk}))
    _assert_common(text, "送达回证", APPLICANT, date=_today())
    assert served.number in text and "电话告知记录" in text


def kinds_issued_and_read_back(source: str) -> set[DocumentKind]:
    """The kinds that some test function in `source` issues (`issue(case, K.X, ...)`) and whose
    PDF it reads back (`_read(...)`): read from the tests themselves, not listed by hand."""
    found = set()
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        calls = [c for c in ast.walk(node)
                 if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)]
        if not any(c.func.id == "_read" for c in calls):
            continue
        for call in calls:
            if call.func.id == "issue" and len(call.args) >= 2:
                kind = call.args[1]
                if (isinstance(kind, ast.Attribute) and isinstance(kind.value, ast.Name)
                        and kind.value.id == "K"):
                    found.add(K[kind.attr])
    return found


def test_every_kind_is_issued_and_read_back_by_a_test_in_this_module():
    source = Path(__file__).read_text(encoding="utf-8")
    assert set(DocumentKind) - kinds_issued_and_read_back(source) == set()


def test_tekun_adjustment_notice_is_titled_for_tekun(full_case, leader_a):
    Case.objects.filter(pk=full_case.pk).update(kind="tekun")
    full_case.refresh_from_db()
    doc = issue(full_case, K.ADJUSTMENT, leader_a, extra={"change": "suspend"})
    assert doc.title == "特困人员救助供养金调整(停发)告知书"
    assert doc.title in _read(doc)


# --- The renderer ---------------------------------------------------------------------------
def test_rendered_html_has_no_line_breaks_between_chinese_characters(full_case, clerk_a):
    ctx = freeze(build_context(K.ACCEPTANCE, case=full_case, by=clerk_a))
    html = render_html(K.ACCEPTANCE, ctx)
    import re

    assert not re.search(r"[\u4e00-\u9fff]\s*\n\s*[\u4e00-\u9fff]", html)


def test_render_pdf_returns_a_pdf_for_a_printout_without_number(full_case, clerk_a):
    content = render_pdf(K.APPLICATION, freeze(build_context(K.APPLICATION, case=full_case)))
    assert content.startswith(b"%PDF") and page_count(content) >= 1
    assert "查验码" not in pdf_text(content)


def test_template_errors_surface(monkeypatch, full_case):
    def broken(*args, **kwargs):
        raise TemplateSyntaxError("Invalid block tag")

    monkeypatch.setattr("documents.render.render_to_string", broken)
    with pytest.raises(RenderError, match="模板错误"):
        render_pdf(K.ACCEPTANCE, {})


def test_external_resources_stop_the_render():
    with pytest.raises(RenderError, match="外部资源"):
        html_to_pdf('<p>文书</p><img src="http://example.invalid/seal.png">')


def test_files_outside_the_allowed_folders_stop_the_render():
    with pytest.raises(RenderError, match="不允许的文件"):
        html_to_pdf('<p>文书</p><img src="file:///etc/hostname">')


def test_missing_seal_image_file_stops_the_render(settings):
    missing = (settings.MEDIA_ROOT / "seals" / "missing.png").as_uri()
    with pytest.raises(RenderError):
        html_to_pdf(f'<p>文书</p><img src="{missing}">')


def test_a_second_render_of_a_notice_is_the_same_one_page(full_case, clerk_a):
    """The render time is measured by `bench/documents.py`, not here; a render after the
    first (fonts loaded) gives the same one-page notice."""
    ctx = freeze(build_context(K.ACCEPTANCE, case=full_case, by=clerk_a))
    first = render_pdf(K.ACCEPTANCE, ctx)
    second = render_pdf(K.ACCEPTANCE, ctx)
    assert page_count(first) == page_count(second) == 1
    assert pdf_text(first) == pdf_text(second)


@pytest.mark.clause("S16")
def test_an_adjustment_to_the_same_amount_is_refused(full_case, leader_a):
    from documents.services import DocumentError

    with pytest.raises(DocumentError, match="金额相同"):
        issue(full_case, K.ADJUSTMENT, leader_a, extra={"change": "adjust"})
