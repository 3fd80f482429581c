"""The case page: a summary (概况) and five sections, each its own page with the same tab bar.

Every page of a case, in every state `build_case` reaches and for every role that may open
it, runs at most `BUDGET` statements (the session read included), and the same number with
a few rows as with many (members, authorizations, reports, visits and photos, objections,
appraisals, events, documents). The conditions of the moves the summary offers are answered
in the statement that reads the household's people (`cases.answers`): no evidence table is
read twice. Each section shows what the one long case page showed before the split.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.demo_cases import PATHS, build_case
from cases.models import (
    AccessLog,
    Appraisal,
    HomeVisit,
    HomeVisitPhoto,
    Membership,
    Objection,
    Relationship,
    StaffPost,
    VerificationAuthorization,
    VerificationReport,
)
from cases.models.relatives import RelativeKind
from cases.trail import append_event
from cases.verification import relatives
from cases.workflow import AUTHORIZATION_KINDS, CaseStatus
from documents.models import IssuedDocument
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
BUDGET = 10  # statements of a request, the session read included
PAGES = ("case_detail", "case_materials", "case_visits", "case_objections", "case_documents",
         "case_trail")
ROLES = ("clerk", "verifier", "leader", "assistant", "bureau")
# Tables of the evidence the summary's moves ask about: each read in one statement at most.
EVIDENCE_TABLES = ("cases_membership", "cases_verificationauthorization",
                   "cases_verificationreport", "cases_homevisit", "cases_objection",
                   "cases_appraisal", "cases_staffrelative", "cases_confidentialityagreement")


@pytest.fixture
def users(clerk_a, verifier_a, leader_a, assistant_a, bureau):
    return {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a,
            "assistant": assistant_a, "bureau": bureau}


def _build(state, village, users, **kw):
    return build_case(state, household=HouseholdFactory(village=village, **kw),
                      clerk=users["clerk"], verifier=users["verifier"], leader=users["leader"])


def _url(page: str, case) -> str:
    return reverse(page, args=[case.pk])


def _statements(client, url: str) -> list[str]:
    """The statements of one warm request (the first fills the caches, refreshes the session)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


def _measure(client, users, case, pages=PAGES, roles=ROLES) -> dict[tuple[str, str], list]:
    out = {}
    for role in roles:
        client.force_login(users[role])
        for page in pages:
            out[(role, page)] = _statements(client, _url(page, case))
    return out


def _enrich(case, users, n: int) -> None:
    """`n` more of every kind of row the pages list: members (with their authorizations),
    verification reports, home visits with a photo, objections, appraisals, events and
    issued documents."""
    clerk, verifier = users["clerk"], users["verifier"]
    today, now = timezone.localdate(), timezone.now()
    document = IssuedDocument.objects.filter(case=case).order_by("pk").first()
    with transaction.atomic():
        for i in range(n):
            person = PersonFactory()
            Membership.objects.create(household=case.household, person=person,
                                      relationship=Relationship.OTHER)
            if case.kind in AUTHORIZATION_KINDS:
                VerificationAuthorization.objects.create(case=case, person=person,
                                                         signed_on=today, recorded_by=clerk)
            VerificationReport.objects.create(
                case=case, monthly_income=Decimal("300.00"), conclusion=f"补充核对{i}。",
                recorded_by=verifier, recorded_at=now, version=10 + i)
            visit = HomeVisit.objects.create(case=case, visited_on=today,
                                             investigators=["王强", "李娜"],
                                             findings=f"补充调查{i}。", recorded_by=clerk,
                                             recorded_at=now)
            HomeVisitPhoto.objects.create(visit=visit, image=f"home_visits/t{i}.jpg",
                                          sha256="0" * 64, width=4, height=3,
                                          uploaded_by=clerk)
            Objection.objects.create(case=case, kind=Objection.Kind.VERIFICATION,
                                     channel="phone", content=f"补充异议{i}。", lodged_at=now,
                                     recorded_by=clerk)
            Appraisal.objects.create(case=case, held_on=today, place=f"村委会{i}",
                                     chair="张书记", participants=[], votes_for=5,
                                     outcome=Appraisal.Outcome.SUPPORTED, recorded_by=clerk,
                                     recorded_at=now)
            append_event(case, "note", actor=clerk, note=f"补充说明{i}。")
            if document is not None:
                copy = IssuedDocument.objects.get(pk=document.pk)
                copy.pk = None
                copy._state.adding = True
                copy.seq = IssuedDocument.objects.aggregate(n=Max("seq"))["n"] + 1
                copy.number, copy.code = f"{document.number}-{copy.seq}", f"T{copy.seq:011d}"
                copy.save()


def _problems(few, many) -> list[str]:
    out = []
    for key, sql in many.items():
        if len(sql) > BUDGET or len(sql) != len(few[key]):
            out.append(f"{key}: {len(few[key])} statements with few rows, {len(sql)} with "
                       "many\n    " + "\n    ".join(q[:160] for q in sql))
    return out


# --- Statements -------------------------------------------------------------------------------

def _assert_within_budget_as_rows_grow(client, users, case, *, few_rows: int, more_rows: int):
    """Every page for every role: at most `BUDGET` statements, the same with `few_rows` of each
    kind of evidence as with `more_rows` more."""
    _enrich(case, users, few_rows)
    few = _measure(client, users, case)
    _enrich(case, users, more_rows)
    cache.clear()
    many = _measure(client, users, case)
    assert not _problems(few, many), "\n".join(_problems(few, many))


@pytest.mark.parametrize("state", list(PATHS))
def test_every_page_runs_at_most_ten_statements_with_few_rows_and_with_many(
        client, village_a, users, state):
    case = _build(state, village_a, users)
    # At least one row of each kind (none: a list is not read at all), then four more.
    _assert_within_budget_as_rows_grow(client, users, case, few_rows=1, more_rows=4)
    client.force_login(users["clerk"])
    html = client.get(_url("case_trail", case)).content.decode()
    assert html.count("补充说明") == 5  # the big case is big


@pytest.mark.parametrize("state", [S.RECEIVED, S.INVESTIGATING, S.RECHECK, S.IN_PUBLICITY,
                                   S.AWAITING_SIGN_OFF, S.APPROVED])
def test_a_household_with_a_declared_relative_stays_within_the_budget(client, village_a, users,
                                                                     state):
    """The declarations are read (one statement) only when the page's answers say a member is
    a declared relative; the flag and the conflict then show on every page."""
    case = _build(state, village_a, users, members=3)
    member = case.household.current_members()[1].person
    relatives.relative_declare(
        by=users["verifier"], staff_user=users["verifier"], staff_name="核对专员",
        post=StaffPost.TOWNSHIP_STAFF, township=village_a.township, relative_name=member.name,
        relative_id_number=member.id_number, relationship=RelativeKind.SPOUSE,
        declared_on=timezone.localdate())
    _assert_within_budget_as_rows_grow(client, users, case, few_rows=1, more_rows=3)
    client.force_login(users["verifier"])
    for page in PAGES:
        html = client.get(_url(page, case)).content.decode()
        assert "工作人员近亲属申请（须回避）" in html and member.name in html, page
        assert "按回避规定，您不能经办或审批该案件" in html, page


def test_the_clerk_recording_authorizations_stays_within_the_budget(client, village_a, users):
    """Adults without an authorization: the summary warns and offers the form (its list of
    people is one statement, however many are missing)."""
    case = _build(S.RECEIVED, village_a, users, members=2)
    Membership.objects.create(household=case.household, person=PersonFactory(),
                              relationship=Relationship.OTHER)
    few = _measure(client, users, case, roles=("clerk",))
    for _ in range(4):
        Membership.objects.create(household=case.household, person=PersonFactory(),
                                  relationship=Relationship.OTHER)
    many = _measure(client, users, case, roles=("clerk",))
    assert not _problems(few, many), "\n".join(_problems(few, many))
    client.force_login(users["clerk"])
    html = client.get(case.get_absolute_url()).content.decode()
    assert "未签核对授权书的成年成员" in html and 'name="authorization-person"' in html


@pytest.mark.parametrize("state", [S.RECEIVED, S.INVESTIGATING, S.RECHECK, S.IN_PUBLICITY,
                                   S.AWAITING_APPRAISAL, S.AWAITING_SIGN_OFF, S.APPROVED,
                                   S.EMERGENCY_REPORTED])
def test_the_summary_reads_each_kind_of_evidence_once(client, village_a, users, state):
    """The moves' conditions and permission checks are answered from what the page read: the
    household's people, the authorizations, the evidence, the relatives' declarations and the
    officer's agreement are asked in one statement, the township ids and roles read once."""
    case = _build(state, village_a, users)
    _enrich(case, users, 2)
    for role in ("clerk", "verifier", "leader"):
        client.force_login(users[role])
        sql = _statements(client, case.get_absolute_url())
        for table in EVIDENCE_TABLES:
            assert len([q for q in sql if f'"{table}"' in q]) <= 1, (role, table, sql)
        assert len([q for q in sql if q.startswith('SELECT "auth_group"."name"')]) == 1
        assert len([q for q in sql if "cases_townshipuserobjectpermission" in q]) == 1
        # The clocks: one read of the case's deadlines besides the page's answers.
        assert len([q for q in sql if q.startswith('SELECT "cases_deadline"')]) == 1


# --- What each page shows --------------------------------------------------------------------

def _page(client, user, page, case) -> str:
    client.force_login(user)
    response = client.get(_url(page, case))
    assert response.status_code == 200
    return response.content.decode()


def test_every_page_has_the_tab_bar_marking_itself(client, village_a, users):
    case = _build(S.INVESTIGATING, village_a, users)
    for page in PAGES:
        html = _page(client, users["clerk"], page, case)
        nav = re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
        for other in PAGES:
            assert f'href="{_url(other, case)}"' in nav, (page, other)
        assert nav.count('aria-current="page"') == 1
        assert re.search(rf'href="{re.escape(_url(page, case))}" aria-current="page"', nav)
        assert case.number in html and "核对与入户调查" in html  # the state, on every page


def test_the_summary_shows_facts_clocks_and_moves(client, village_a, users):
    case = _build(S.IN_PUBLICITY, village_a, users, members=3)
    html = _page(client, users["clerk"], "case_detail", case)
    assert "最低生活保障" in html and case.applicant.name in html and "，3人" in html
    assert "审核审批时限(20个工作日)" in html and "审批公示(7天)" in html and "计算说明" in html
    assert "公示期满无异议" in html  # the move the clerk may make
    assert 'name="objection-content"' in html  # the evidence form of the step
    leader = _page(client, users["leader"], "case_detail", case)
    assert "公示期满无异议" in leader


def test_the_summary_leads_to_the_pages_of_the_next_step_in_one_click(client, village_a, users):
    received = _build(S.RECEIVED, village_a, users)
    scans = reverse("authorization_scans", args=[received.pk])
    assert scans in _page(client, users["clerk"], "case_detail", received)
    assert scans not in _page(client, users["leader"], "case_detail", received)
    case = _build(S.INVESTIGATING, village_a, users)
    officer = reverse("verification_case", args=[case.pk])
    visit = reverse("home_visit_new", args=[case.pk])
    assert officer in _page(client, users["verifier"], "case_detail", case)
    clerk = _page(client, users["clerk"], "case_detail", case)
    assert officer not in clerk and visit in clerk
    assert visit in _page(client, users["assistant"], "case_detail", case)
    approved = _build(S.APPROVED, village_a, users)
    assert 'id="next-steps"' not in _page(client, users["clerk"], "case_detail", approved)


def test_the_materials_page_shows_authorizations_reports_and_the_calculation(client, village_a,
                                                                             users):
    from cases.verification import services as vs

    case = _build(S.INVESTIGATING, village_a, users, members=2)
    assessment = vs.assessment_record(case=case, by=users["clerk"])
    html = _page(client, users["clerk"], "case_materials", case)
    assert f"保障金额计算（第{assessment.version}版" in html and str(assessment.amount) in html
    for person in case.adult_members():
        assert f"核对授权书：{person.name}" in html
    assert "扫描件未上传" in html
    assert "第1版" in html and "家庭人均收入低于当地低保标准。" in html
    assert reverse("assessment", args=[case.pk]) in html
    assert reverse("authorization_scans", args=[case.pk]) in html  # the clerk scans them
    verifier = _page(client, users["verifier"], "case_materials", case)
    assert reverse("verification_case", args=[case.pk]) in verifier


def test_a_signer_who_left_the_household_is_still_listed(client, village_a, users):
    case = _build(S.INVESTIGATING, village_a, users, members=2)
    left = Membership.objects.filter(household=case.household).exclude(
        person=case.applicant).get()
    Membership.objects.filter(pk=left.pk).update(ended_on=timezone.localdate())
    html = _page(client, users["clerk"], "case_materials", case)
    assert f"核对授权书：{left.person.name}" in html
    summary = _page(client, users["clerk"], "case_detail", case)
    assert "，1人" in summary


def test_the_missing_authorizations_are_named_on_the_summary_and_the_materials(
        client, village_a, users):
    case = _build(S.RECEIVED, village_a, users)
    adult = PersonFactory(born=dt.date(1990, 5, 1))
    child = PersonFactory(born=timezone.localdate() - dt.timedelta(days=365 * 10))
    for person in (adult, child):
        Membership.objects.create(household=case.household, person=person,
                                  relationship=Relationship.OTHER)
    for page in ("case_detail", "case_materials"):
        html = _page(client, users["clerk"], page, case)
        warning = re.search(r"未签核对授权书的成年成员：[^<]*", html).group(0)
        assert adult.name in warning and child.name not in warning
    summary = _page(client, users["clerk"], "case_detail", case)
    assert "家庭中仍有成年成员未签署家庭经济状况核对授权书" in summary  # accept is blocked


def test_the_visits_page_shows_visits_with_their_photos(client, village_a, users):
    case = _build(S.INVESTIGATING, village_a, users)
    visit = case.home_visits.get()
    photo = HomeVisitPhoto.objects.create(visit=visit, image="home_visits/a.jpg",
                                          sha256="0" * 64, width=4, height=3,
                                          uploaded_by=users["clerk"])
    html = _page(client, users["assistant"], "case_visits", case)
    assert "调查人员王强、李娜" in html and "住房简陋，无大额财产。" in html
    assert reverse("home_visit_photo", args=[photo.pk]) in html
    assert reverse("home_visit_new", args=[case.pk]) in html  # the assistant records visits
    bureau = _page(client, users["bureau"], "case_visits", case)
    assert reverse("home_visit_new", args=[case.pk]) not in bureau


def test_the_objections_page_shows_objections_and_appraisals(client, village_a, users):
    case = _build(S.AWAITING_SIGN_OFF, village_a, users)
    empty = _page(client, users["clerk"], "case_objections", case)
    assert "没有异议。" in empty and "没有民主评议记录。" in empty
    appraised = _build(S.AWAITING_APPRAISAL, village_a, users)
    html = _page(client, users["clerk"], "case_objections", appraised)
    assert "反映其子女有经营收入。" in html and "公示期异议" in html


def test_the_documents_page_lists_the_documents_and_the_bundle(client, village_a, users):
    case = _build(S.APPROVED, village_a, users)
    html = _page(client, users["clerk"], "case_documents", case)
    documents = list(IssuedDocument.objects.filter(case=case))
    assert documents
    for document in documents:
        assert document.number in html
    assert reverse("case_bundle_pdf", args=[case.pk]) in html


def test_the_trail_page_shows_every_event(client, village_a, users):
    case = _build(S.APPROVED, village_a, users)
    html = _page(client, users["leader"], "case_trail", case)
    assert "审核同意并公示" in html and "审批同意" in html
    assert html.count("<li>") >= case.events.count()


def test_each_page_logs_the_look_up_and_hides_other_townships_cases(client, village_a, users,
                                                                   clerk_b):
    case = _build(S.INVESTIGATING, village_a, users)
    for page in PAGES:
        before = AccessLog.objects.filter(object_type="case", object_id=str(case.pk)).count()
        _page(client, users["clerk"], page, case)
        assert AccessLog.objects.filter(object_type="case", object_id=str(case.pk)).count() \
            == before + 1
        client.force_login(clerk_b)
        assert client.get(_url(page, case)).status_code == 404
    details = set(AccessLog.objects.filter(object_id=str(case.pk)).values_list("detail",
                                                                               flat=True))
    assert {"", "核对与授权", "入户调查", "异议与评议", "文书", "办理轨迹"} <= details


def test_a_refused_move_or_evidence_is_shown_again_on_the_summary(client, village_a, users):
    case = _build(S.INVESTIGATING, village_a, users)
    client.force_login(users["leader"])
    response = client.post(reverse("case_action", args=[case.pk, "reject"]), {"reject-reason": ""})
    html = response.content.decode()
    assert response.status_code == 400 and "请检查填写的内容。" in html
    assert 'aria-current="page"' in html and 'name="reject-reason"' in html
    client.force_login(users["verifier"])
    response = client.post(reverse("case_evidence", args=[case.pk, "verification"]),
                           {"verification-monthly_income": "abc"})
    html = response.content.decode()
    assert response.status_code == 400 and "请检查填写的内容。" in html
    assert 'name="verification-conclusion"' in html
