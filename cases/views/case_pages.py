"""The case page: a summary and its sections, each a page of its own with the same tab bar.

概况 (`case_detail`) has what the next step needs: the facts, the clocks, the moves this user
may make and the evidence forms of the current step. The sections show the evidence and the
record: 核对与授权 (authorizations, verification reports, the amount calculation), 入户调查
(home visits and their photos), 异议与评议 (objections and democratic appraisals), 文书 (issued
documents) and 办理轨迹 (the events). Every page checks the case with `scoping.case_for_user`
and logs the look-up, and runs a fixed number of statements, however many rows the case has
(tests/cases/test_case_sections.py).

The yes/no questions a page asks — the conditions of the moves it offers, whether somebody in
the household is a declared relative of staff — are answered in one statement with the
household's people (`_people`) or on their own (`_answer`), and kept on the case object
(`cases.answers`), so the rules and the relatives' flags read nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BigIntegerField, OuterRef, QuerySet, Subquery, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from cases import answers, emergency, rules, scoping, services
from cases import forms_case as f
from cases.audit_access import log_access
from cases.deadline_state import clock_rows
from cases.models import (
    AccessLog,
    Case,
    CaseAgent,
    Membership,
    Person,
    VerificationAuthorization,
)
from cases.permissions import (
    Role,
    can_record_authorization,
    can_record_home_visit,
    can_record_objection,
    can_record_verification,
)
from cases.verification import access
from cases.verification import relatives as staff_relatives
from cases.workflow import AUTHORIZATION_KINDS, CaseStatus

OPEN_STATES = (CaseStatus.INVESTIGATING, CaseStatus.RECHECK)
AGREEMENT = "holds_agreement"  # the `cases.answers` question about a verification officer


@dataclass(frozen=True)
class Tab:
    name: str  # URL name
    label: str


TABS = (
    Tab("case_detail", "概况"),
    Tab("case_materials", "核对与授权"),
    Tab("case_visits", "入户调查"),
    Tab("case_objections", "异议与评议"),
    Tab("case_documents", "文书"),
    Tab("case_trail", "办理轨迹"),
)
LABELS = {t.name: t.label for t in TABS}


# --- Reading --------------------------------------------------------------------------------

def _questions(case: Case, *, user=None, moves: bool = False,
               refusal: bool = False) -> dict[str, QuerySet]:
    """The page's row questions: always whether a declared relative of staff is in the
    household (the flag on every page); with `moves`, the conditions of every move from the
    case's state; with `refusal`, those the verification access rule asks; with a verification
    officer as `user`, whether they hold a confidentiality agreement (`_note_agreement`)."""
    asked = {staff_relatives.DECLARED_RELATIVE: staff_relatives.declarations_for(case)}
    if moves:
        conditions = [c for t in case.get_all_status_transitions()
                      if t.source in (case.status, "*") for c in t.conditions]
        asked.update(rules.questions(case, conditions))
    if refusal:
        asked.update(rules.questions(case, [rules.authorizations_complete]))
    if user is not None and scoping.has_role(user, Role.VERIFIER):
        asked[AGREEMENT] = access.valid_agreements(user)
    return asked


def _note_agreement(case: Case, user) -> None:
    """Tell `cases.verification.access` what the page read about the user's agreement."""
    held = answers.known(case, AGREEMENT)
    if held is not None:
        access.note_agreement(user, held)


def _people(case: Case, questions: dict[str, QuerySet]) -> list[Person]:
    """The household's current members and everyone else who signed a verification
    authorization for the case, in one statement with the answers to `questions`.

    Each person carries `is_member`, `membership_id` and, when they signed, `signed_on`,
    `scan` (the file name, '' without a scan) and `authorization_id`. The applicant is
    always a current member (`services.case_create`), so the statement always has a row to
    carry the answers."""
    signed = VerificationAuthorization.objects.filter(case_id=case.pk, person_id=OuterRef("pk"))
    memberships = Membership.objects.filter(household_id=case.household_id,
                                            ended_on__isnull=True)
    extra = {
        "signed_on": Subquery(signed.values("signed_on")[:1]),
        "scan": Subquery(signed.values("scan")[:1]),
        "authorization_id": Subquery(signed.values("pk")[:1]),
        **answers.annotations(questions),
    }
    members = Person.objects.filter(pk__in=memberships.values("person_id")).annotate(
        is_member=Value(True), membership_id=Subquery(
            memberships.filter(person_id=OuterRef("pk")).values("pk")[:1]), **extra)
    others = (Person.objects.filter(pk__in=case.authorizations.values("person_id"))
              .exclude(pk__in=memberships.values("person_id"))
              .annotate(is_member=Value(False),
                        membership_id=Value(None, output_field=BigIntegerField()), **extra))
    people = list(members.order_by().union(others.order_by(), all=True))
    if people:
        answers.remember(case, people[0])
    else:  # a household without a current member: the answers on their own
        _answer(case, questions)
    people.sort(key=lambda p: (not p.is_member, p.membership_id or 0, p.authorization_id or 0))
    return people


def _answer(case: Case, questions: dict[str, QuerySet]) -> None:
    """Answer `questions` in one statement (a page that does not read the people)."""
    answers.remember(case, Case.objects.filter(pk=case.pk)
                     .values(**answers.annotations(questions)).get())


def _missing_authorizations(case: Case, people: list[Person]) -> list[Person]:
    """Current adult members with no authorization (`Case.adults_without_authorization`),
    for the kinds that need one (S2)."""
    if case.kind not in AUTHORIZATION_KINDS:
        return []
    day = case.applied_at.date() if case.applied_at else None
    return [p for p in people if p.is_member and p.signed_on is None
            and (day is None or p.age_on(day) >= rules.ADULT_AGE)]


def _page(request: HttpRequest, case: Case, tab: str, template: str, context: dict,
          status: int = 200) -> HttpResponse:
    """Render one of the case's pages: the tab bar, and the relatives' flag on every one."""
    user = request.user
    _share_household_rows(case)
    return render(request, template, {
        "case": case, "tabs": TABS, "current_tab": tab,
        "flags": staff_relatives.flags_for(case),
        "conflict": staff_relatives.conflict_message(case, user),
        **context,
    }, status=status)


def _case(request: HttpRequest, pk: int, tab: str) -> Case:
    """The case if the user may see it (404 otherwise), its look-up logged."""
    case = scoping.case_for_user(request.user, pk)
    log_access(request, AccessLog.Action.VIEW, "case", case.pk,
               detail="" if tab == "case_detail" else LABELS[tab])
    return case


def _share_household_rows(case: Case) -> None:
    """The household's village and head are usually the case's own, read with it."""
    household = case.household
    if household.village_id == case.village_id:
        household.village = case.village
    if household.head_id == case.applicant_id:
        household.head = case.applicant


def _step_links(case: Case, user) -> dict[str, bool]:
    """The pages of the next steps this user may take: the officer's confidential page, the
    authorization scans, the home visit on a phone (on the summary and on their sections)."""
    officer = access.is_designated_officer(user)
    return {
        "officer_link": officer and not access.refusal(case, user, access.A.VIEW),
        "is_verifier_without_agreement": not officer and scoping.has_role(user, Role.VERIFIER),
        "can_scan": case.kind in AUTHORIZATION_KINDS and can_record_authorization(case, user)
        and case.status in (CaseStatus.RECEIVED, *OPEN_STATES),
        "can_visit": case.status in OPEN_STATES and can_record_home_visit(case, user),
    }


# --- 概况 --------------------------------------------------------------------------------------

def _calculation_for_form(case: Case, action: str):
    """The latest calculation, whose figures a proposal or adjustment takes (`cases.proposal`):
    the form shows them instead of asking for them. Whether it is older than the evidence is
    checked by the service on submit (read here, it would read the evidence tables a second
    time: the page's answers read each once)."""
    if action not in ("propose_approval", "adjust"):
        return None
    return {"assessment": case.assessments.order_by("-version").first()}


# Moves that undo the application: styled as a danger action, never as the page's main one.
DANGER_ACTIONS = frozenset({"withdraw"})


def _step_link(case: Case, step: dict) -> dict:
    """What a blocked move still needs, with the address of the page where it is done."""
    where = step.get("where")
    if not where:
        return {"message": step["message"], "label": "", "url": ""}
    label, name = where
    try:
        url = reverse(name, args=[case.pk])
    except NoReverseMatch:
        url = reverse(name)
    return {"message": step["message"], "label": label, "url": url}


def _delegate(case: Case) -> CaseAgent | None:
    """The case's delegate, as `scoping.case_for_user` read it with the case (no statement)."""
    try:
        return case.agent
    except CaseAgent.DoesNotExist:
        return None


def render_summary(request: HttpRequest, case: Case, *, forms_by_action=None,
                   evidence_forms=None, status: int = 200) -> HttpResponse:
    """The summary; `case_action` and `case_evidence` re-render it with a rejected form."""
    from cases.views.cases import ACTIONS

    user = request.user
    people = _people(case, _questions(case, user=user, moves=True, refusal=True))
    _note_agreement(case, user)
    missing = _missing_authorizations(case, people)
    clocks = clock_rows(case)
    actions, blocked = [], []
    for item in services.available_actions(case, user):
        spec = ACTIONS.get(item["name"])
        if spec is None:
            continue
        if item["blocked_by"]:
            blocked.append({**item, "steps": [_step_link(case, s) for s in item["missing_steps"]]})
            continue
        initial = spec.form.initial_for(case) if hasattr(spec.form, "initial_for") else None
        form = (forms_by_action or {}).get(item["name"]) or spec.form(prefix=item["name"],
                                                                      initial=initial)
        actions.append({**item, "form": form, "danger": item["name"] in DANGER_ACTIONS,
                        "calculation": _calculation_for_form(case, item["name"])})
    evidence = dict(evidence_forms or {})
    if missing and case.status in (CaseStatus.RECEIVED, *OPEN_STATES) and \
            can_record_authorization(case, user):
        evidence.setdefault("authorization", f.AuthorizationForm(
            people=missing, prefix="authorization"))
    if case.status in OPEN_STATES and can_record_verification(case, user):
        evidence.setdefault("verification", f.VerificationForm(prefix="verification"))
    if case.status in OPEN_STATES and can_record_home_visit(case, user):
        evidence.setdefault("home_visit", f.HomeVisitForm(prefix="home_visit"))
    if case.status == CaseStatus.IN_PUBLICITY and can_record_objection(case, user):
        evidence.setdefault("objection", f.ObjectionForm(prefix="objection"))
    return _page(request, case, "case_detail", "cases/case_detail.html", {
        "members": [p for p in people if p.is_member],
        "missing_authorizations": missing,
        "clocks": clocks,
        "next_step": emergency.next_step(case, clocks),
        "actions": actions,
        "blocked_actions": blocked,
        "case_agent": _delegate(case),
        "evidence_forms": evidence,
        **_step_links(case, user),
    }, status=status)


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_summary(request, _case(request, pk, "case_detail"))


# --- 核对与授权 ----------------------------------------------------------------------------------

@require_GET
def case_materials(request: HttpRequest, pk: int) -> HttpResponse:
    """Authorizations, verification reports and the latest amount calculation, with the links
    to the officer's confidential page, the authorization scans and the calculation."""
    case = _case(request, pk, "case_materials")
    user = request.user
    people = _people(case, _questions(case, user=user, refusal=True))
    _note_agreement(case, user)
    return _page(request, case, "case_materials", "cases/case_materials.html", {
        "authorizations": sorted((p for p in people if p.authorization_id),
                                 key=lambda p: p.authorization_id),
        "missing_authorizations": _missing_authorizations(case, people),
        **_step_links(case, user),
        "reports": case.verification_reports.order_by("version", "recorded_at"),
        "assessment": case.assessments.order_by("-version").first(),
    })


# --- 入户调查 ------------------------------------------------------------------------------------

@require_GET
def case_visits(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case_visits")
    _answer(case, _questions(case))
    return _page(request, case, "case_visits", "cases/case_visits.html", {
        "can_visit": case.status in OPEN_STATES and can_record_home_visit(case, request.user),
        "visits": case.home_visits.prefetch_related("photos").order_by("visited_on", "id"),
    })


# --- 异议与评议 ----------------------------------------------------------------------------------

@require_GET
def case_objections(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case_objections")
    _answer(case, _questions(case))
    return _page(request, case, "case_objections", "cases/case_objections.html", {
        "objections": case.objections.order_by("lodged_at", "id"),
        "appraisals": case.appraisals.order_by("held_on", "id"),
    })


# --- 文书 ----------------------------------------------------------------------------------------

@require_GET
def case_documents(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case_documents")
    _answer(case, _questions(case))
    return _page(request, case, "case_documents", "cases/case_documents.html", {})


# --- 办理轨迹 ------------------------------------------------------------------------------------

@require_GET
def case_trail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk, "case_trail")
    _answer(case, _questions(case))
    return _page(request, case, "case_trail", "cases/case_trail.html", {
        "events": case.events.select_related("actor").order_by("seq"),
    })

