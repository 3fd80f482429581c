"""Case pages: the list by state and nearest deadline, and the POST-only actions and evidence
of the case page (`cases.views.case_pages`), whose summary shows a refused form again."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET, require_POST

from cases import forms_case as f
from cases import scoping, search, services
from cases.audit_access import log_access
from cases.list_fields import encrypted_fields
from cases.models import AccessLog, Case, Person
from cases.views import case_pages
from cases.workflow import CaseStatus


@dataclass(frozen=True)
class Action:
    form: type
    run: Any  # (case, user, cleaned_data) -> Case


ACTIONS: dict[str, Action] = {
    "accept": Action(f.NoteForm, lambda c, u, d: services.case_accept(
        case=c, by=u, note=d.get("note", ""))),
    "open_recheck": Action(f.RecheckForm, lambda c, u, d: services.case_open_recheck(
        case=c, by=u, content=d["content"], channel=d["channel"])),
    "complete_recheck": Action(f.NoteForm, lambda c, u, d: services.case_complete_recheck(
        case=c, by=u)),
    "propose_approval": Action(f.ProposeApprovalForm, lambda c, u, d:
                               services.case_propose_approval(
                                   case=c, by=u, amount=d.get("amount"),
                                   opinion=d["opinion"],
                                   covered_persons=d.get("covered_persons"),
                                   override_reason=d.get("override_reason", ""))),
    "end_publicity": Action(f.NoteForm, lambda c, u, d: services.case_close_publicity(
        case=c, by=u)),
    "end_publicity_with_objection": Action(f.NoteForm, lambda c, u, d:
                                           services.case_close_publicity(case=c, by=u)),
    "record_appraisal": Action(f.AppraisalForm, lambda c, u, d:
                               services.case_record_appraisal(case=c, by=u, **d)),
    "sign_off": Action(f.NoteForm, lambda c, u, d: services.case_sign_off(
        case=c, by=u, note=d.get("note", ""))),
    "reject": Action(f.ReasonForm, lambda c, u, d: services.case_reject(
        case=c, by=u, reason=d["reason"])),
    "reject_emergency": Action(f.ReasonForm, lambda c, u, d: services.case_reject(
        case=c, by=u, reason=d["reason"])),
    "withdraw": Action(f.WithdrawForm, lambda c, u, d: services.case_withdraw(
        case=c, by=u, note=d["note"])),
    "adjust": Action(f.AdjustForm, lambda c, u, d: services.case_adjust(
        case=c, by=u, amount=d.get("amount"), reason=d["reason"],
        override_reason=d.get("override_reason", ""))),
    "suspend": Action(f.ReasonForm, lambda c, u, d: services.case_suspend(
        case=c, by=u, reason=d["reason"])),
    "resume": Action(f.NoteForm, lambda c, u, d: services.case_resume(
        case=c, by=u, note=d.get("note", ""))),
    "terminate": Action(f.ReasonForm, lambda c, u, d: services.case_terminate(
        case=c, by=u, reason=d["reason"])),
    "give_aid": Action(f.GiveAidForm, lambda c, u, d: services.case_give_aid(
        case=c, by=u, amount=d["amount"], reason=d["reason"], cause=d["cause"],
        method=d["method"], handling_opinion=d["handling_opinion"])),
    "register_emergency": Action(f.RegisterEmergencyForm, lambda c, u, d:
                                 services.case_register_emergency(
                                     case=c, by=u, amount=d["amount"], reason=d["reason"],
                                     paperwork_complete=d["paperwork_complete"],
                                     cause=d["cause"], method=d["method"],
                                     handling_opinion=d["handling_opinion"],
                                     leader_opinion=d["leader_opinion"])),
}


# Lists count at most this many rows (40 pages); beyond it the pager says "1000 条以上" (the
# state dropdown still gives each state's full count). Counting 10,000 cost 16 ms, 1,000 5 ms.
COUNT_CAP = 1_000
STATUS_COUNTS_SECONDS = 60  # the state dropdown's counts read every case in scope: cached
SEARCH_PEOPLE_LIMIT = 1000  # applicants matched by a name prefix before their cases are read
ID_NUMBER_RE = re.compile(r"\d{15}|\d{17}[\dX]")
# The tail of a case number as staff read it off a paper notice: "00017", "DB-00017" (three
# characters at least, so that "1" does not find every tenth case).
CASE_TAIL_RE = re.compile(r"[0-9A-Z-]{3,}")


class CappedPaginator(Paginator):
    """A paginator that counts at most `COUNT_CAP` + 1 rows: counting every case of a township
    on every page view costs more than the page."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[:COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def _scoped_cases(user):
    """The user's cases (`scoping.cases_visible_to`) narrowed to the townships in scope, so
    that the list is read in order through the (township, next_due_at) indexes.

    Returns the queryset and a key naming the scope (for the cached counts). Only a case of a
    village moved to another township after its decision is left out of the narrowed list:
    it stays with the township that decided it (S1). The villages are passed as a list: a
    join on the village misleads the planner into reading every case of the township."""
    if scoping.sees_whole_district(user):
        return Case.objects.all(), "all"
    pairs = list(scoping.villages_for(user).values_list("pk", "township_id"))
    villages = sorted(pk for pk, _ in pairs)
    townships = sorted({township for _, township in pairs})
    digest = hashlib.sha256(",".join(map(str, villages)).encode()).hexdigest()[:16]
    return (Case.objects.filter(township_id__in=townships, village_id__in=villages),
            f"t{','.join(map(str, townships))}v{digest}")


def _status_counts(cases, scope_key: str) -> dict[str, int]:
    key = f"case_list:status_counts:{scope_key}"
    counts = cache.get(key)
    if counts is None:
        counts = {row["status"]: row["n"] for row in cases.order_by().values("status")
                  .annotate(n=Count("id"))}
        cache.set(key, counts, STATUS_COUNTS_SECONDS)
    return counts


def _search(cases, q: str):
    """Cases whose number starts or ends with `q`, or whose applicant has ID number `q`, an ID
    number ending with `q` (six characters: `search.id_tail`) or a name starting with `q`.
    Applicants are found first (by index), then their cases; the cases, and so the applicants
    found by a tail that many people share, are those of the user's places (`cases` is
    scoped). A tail that is also a case number's tail finds both."""
    tail = search.id_tail(q)
    if ID_NUMBER_RE.fullmatch(q.upper()):
        people = Person.objects.filter(id_number=q.upper())
    elif tail:
        people = search.people_with_id_tail(tail)
    else:
        people = Person.objects.filter(name__startswith=q)
    applicant_ids = list(people.order_by().values_list("pk", flat=True)[:SEARCH_PEOPLE_LIMIT])
    match = Q(number__startswith=q.upper()) | Q(applicant_id__in=applicant_ids)
    if CASE_TAIL_RE.fullmatch(q.upper()) and not ID_NUMBER_RE.fullmatch(q.upper()):
        match |= Q(number__endswith=q.upper())
    return cases.filter(match)


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in the user's scope, by state, nearest open deadline first."""
    status = search.term(request, "status")
    q = search.term(request)
    scope, scope_key = _scoped_cases(request.user)
    cases = (scope.select_related("applicant", "village", "township")
             .defer(*encrypted_fields(Person, "applicant__")))  # the list shows names only
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    if q:
        cases = _search(cases, q)
        log_access(request, AccessLog.Action.SEARCH, "case", detail=search.log_term(q))
    cases = cases.order_by(F("next_due_at").asc(nulls_last=True), "-applied_at", "-id")
    page = CappedPaginator(cases, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = _status_counts(scope, scope_key)
    return render(request, "cases/case_list.html", {
        "page": page, "status": status, "q": q, "now": timezone.now(),
        "statuses": [(s.value, s.label, counts.get(s.value, 0)) for s in CaseStatus],
        "count_cap": COUNT_CAP,
    })


@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one workflow action; a refusal re-renders the case page with the Chinese reason."""
    case = scoping.case_for_user(request.user, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise PermissionDenied("未知的操作。")
    form = spec.form(request.POST, request.FILES, prefix=action)
    if form.is_valid():
        try:
            spec.run(case, request.user, form.cleaned_data)
        except services.CaseActionError as exc:
            messages.error(request, exc.message)
            return redirect(case)
        messages.success(request, "操作已完成。")
        return redirect(case)
    case.refresh_from_db()
    messages.error(request, "请检查填写的内容。")
    return case_pages.render_summary(request, case, forms_by_action={action: form},
                                     status=400)


@require_POST
def case_evidence(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Record evidence: authorization, verification result, home visit, publicity objection."""
    case = scoping.case_for_user(request.user, pk)
    if kind == "authorization":
        form = f.AuthorizationForm(request.POST, people=case.adult_members(),
                                   prefix=kind)
    else:
        form_class = {"verification": f.VerificationForm, "home_visit": f.HomeVisitForm,
                      "objection": f.ObjectionForm}.get(kind)
        if form_class is None:
            raise PermissionDenied("未知的操作。")
        form = form_class(request.POST, prefix=kind)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if kind == "authorization":
                services.authorization_record(case=case, person=d["person"],
                                              signed_on=d["signed_on"], by=request.user)
            elif kind == "verification":
                services.verification_record(case=case, by=request.user, **d)
            elif kind == "home_visit":
                services.home_visit_record(case=case, by=request.user, **d)
            else:
                services.objection_record(case=case, by=request.user, **d)
        except services.CaseActionError as exc:
            messages.error(request, exc.message)
            return redirect(case)
        messages.success(request, "已记录。")
        return redirect(case)
    messages.error(request, "请检查填写的内容。")
    return case_pages.render_summary(request, case, evidence_forms={kind: form}, status=400)


def case_create(request: HttpRequest, household_pk: int) -> HttpResponse:
    household = scoping.household_for_user(request.user, household_pk)
    if request.method == "POST":
        form = f.CaseCreateForm(request.POST, household=household)
        if form.is_valid():
            try:
                case = services.case_create(
                    household=household, applicant=form.cleaned_data["applicant"],
                    kind=form.cleaned_data["kind"], hardship=form.cleaned_data["hardship"],
                    declared_incomes=form.declared_incomes(), by=request.user)
            except services.CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已登记申请，案件编号 {case.number}。")
                return redirect(case)
    else:
        form = f.CaseCreateForm(household=household)
    return render(request, "cases/case_create.html", {"form": form, "household": household})
