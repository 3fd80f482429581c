"""The window's acceptance flow in three screens (S15 最多跑一次: the applicant comes once).

The order of the window: the paperwork is signed before the clock starts.

1. `accept_start`: the household — an existing one found by the head's ID number, or a new
   one with its members (checked by a rolled-back dry run of `household_save`, not saved) —
   and each member's monthly income as the applicant declares it (blank: 未申报), kept in
   the draft and saved by `case_create` with the case (`cases.incomes`).
2. `accept_case`: the application — kind, stated hardship, materials, a delegate if any; then
   `accept_bundle` prints the bundle to sign (申请书, 诚信声明, a 核对授权书 per adult, a
   委托授权书 only with a delegate) from the draft: no case number, no clock.
3. `accept_sign`: the signed pages uploaded together, each adult's authorization matched to
   its person, and (optional) the pages of the signed 申请书 and 诚信声明; one transaction
   runs `household_save` (new household), `case_create`, `case_agent_record` (a delegate),
   `authorization_record` with the scan per adult, `attachment_add` per signed page and
   `case_accept`. Any refusal rolls all of it back. `accept_done` is the same screen once
   accepted: the 受理通知书 to print.

The draft between the screens lives in the session, never in half-saved rows.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cases import idnumber, scoping, search, services
from cases.agents import case_agent, case_agent_record
from cases.audit_access import log_access
from cases.errors import CaseActionError
from cases.forms import HouseholdForm, MemberFormSet, show_known_people
from cases.forms_acceptance import (
    ACCEPT_KINDS,
    SIGNED_PAGES,
    AcceptanceCaseForm,
    AcceptanceMemberFormSet,
    AcceptanceSignForm,
    DraftMember,
    HouseholdLookupForm,
    accept_note,
    application_initial,
    checklist,
    draft_incomes,
    household_incomes_form,
    is_adult,
    shared_materials,
)
from cases.forms_case import income_field_name
from cases.households import HouseholdError, KnownPersonMismatch, household_save
from cases.models import (
    AccessLog,
    DeadlineKind,
    Household,
    PersonChange,
    Relationship,
    Village,
)
from cases.permissions import Role
from cases.views.households import _search as household_search
from cases.workflow import AUTHORIZATION_KINDS
from documents.attachments import attachment_add
from documents.kinds import DocumentKind

DRAFT_KEY = "acceptance_draft"
HOUSEHOLD_FIELDS = ("address", "hukou_type", "bank_name", "bank_account", "bank_payee", "note")
MEMBER_KEYS = ("name", "id_number", "relationship", "phone", "hukou_type", "disability_grade",
               "disability_type", "health", "labour_capacity", "occupation",
               "known", "known_ref")  # the last two: a registered person's confirmation


def _require_clerk(user) -> None:
    if not (scoping.has_role(user, Role.CLERK) and scoping.assigned_townships(user).exists()):
        raise PermissionDenied("只有镇街窗口受理员可以受理申请。")


def _households(user):
    """Households in the townships the clerk accepts for."""
    return scoping.households_visible_to(user).filter(
        village__township__in=scoping.assigned_townships(user))


def _household(user, pk) -> Household:
    household = scoping.household_for_user(user, pk)
    if not _households(user).filter(pk=household.pk).exists():
        raise PermissionDenied("您不是该镇街的窗口受理人员，不能受理该家庭的申请。")
    return household


def _find_by_head(user, number: str) -> Household | None:
    """The household of the clerk's townships in which this ID number is a current member
    (the head, usually): the household search of the household list, reused."""
    return household_search(_households(user), idnumber.normalize(number)).select_related(
        "village__township", "head").order_by("pk").first()


def _log_lookup(request, number: str) -> None:
    log_access(request, AccessLog.Action.SEARCH, "household",
               detail=f"受理查找户主：{idnumber.mask(idnumber.normalize(number))}")


def _place(village: Village) -> str:
    return f"{village.township.name} · {village.short_name}"


def _start_draft(request, **data) -> None:
    emergency = request.POST.get("emergency") == "1"
    request.session[DRAFT_KEY] = {"token": uuid.uuid4().hex, "emergency": emergency, **data}


def _next_screen(request):
    """Screen 2 of the flow the draft was started for: the application, or the emergency
    report (急难求助, S11: the same household screen, then the report)."""
    return redirect("emergency_report" if _draft(request).get("emergency") else "accept_case")


def _draft(request) -> dict | None:
    draft = request.session.get(DRAFT_KEY)
    return draft if isinstance(draft, dict) and draft.get("token") else None


def _dry_run(user, household: Household, members: list[dict]) -> None:
    """Run `household_save` and roll it back: every household rule checked, nothing saved."""
    with transaction.atomic():
        household_save(household=household, members=members, by=user,
                       source=PersonChange.Source.ACCEPTANCE)
        transaction.set_rollback(True)


def _new_household(user, data: dict) -> Household:
    village = scoping.villages_for(user).filter(
        pk=data["village"], township__in=scoping.assigned_townships(user)).first()
    if village is None:
        raise PermissionDenied("该村(社区)不在您的受理范围内。")
    return Household(village=village, **{f: data.get(f, "") for f in HOUSEHOLD_FIELDS})


# --- Screen 1: the household ----------------------------------------------------------------

def _existing_draft(request, household: Household, emergency: bool):
    """Start the draft for an existing household with its members' declared incomes (none for
    an emergency report); the incomes form with its errors if an amount is refused."""
    if emergency:
        _start_draft(request, household=household.pk)
        return None
    incomes = household_incomes_form(request.POST, household)
    if not incomes.is_valid():
        return incomes
    _start_draft(request, household=household.pk, incomes=draft_incomes(
        (p.id_number, a) for p, a in incomes.declared_incomes().items()))
    return None


@require_http_methods(["GET", "POST"])
def accept_start(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_clerk(user)
    villages = scoping.villages_for(user).filter(
        township__in=scoping.assigned_townships(user)).select_related("township").order_by("code")
    emergency = (request.POST.get("emergency") if request.method == "POST"
                 else request.GET.get("emergency")) == "1"
    # An emergency report asks for no declared incomes (no 申请书 is signed for it).
    member_formset = MemberFormSet if emergency else AcceptanceMemberFormSet
    chosen = incomes = None
    if request.method == "POST":
        lookup = HouseholdLookupForm(request.POST)
        form = HouseholdForm(request.POST, villages=villages)
        formset = member_formset(request.POST.copy(), prefix="m")  # see show_known_people
        existing = request.POST.get("existing", "").strip()
        found = None
        if existing:
            if not existing.isdigit():
                raise PermissionDenied("无效的家庭。")
            found = _household(user, int(existing))
        elif request.POST.get("head_id", "").strip():
            if lookup.is_valid():
                number = lookup.cleaned_data["head_id"]
                _log_lookup(request, number)
                found = _find_by_head(user, number)
                if found is None:
                    lookup.add_error("head_id", "您的受理范围内没有以该身份证号码为户主的家庭，"
                                                "请在下方登记新家庭。")
            form = HouseholdForm(villages=villages)
            formset = member_formset(prefix="m")
        elif form.is_valid() and formset.is_valid():
            live = [f for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            members = [{k: f.cleaned_data.get(k) for k in MEMBER_KEYS} for f in live]
            data = {"village": form.cleaned_data["village"].pk,
                    **{k: form.cleaned_data.get(k) or "" for k in HOUSEHOLD_FIELDS}}
            try:
                _dry_run(user, _new_household(user, data), members)
            except KnownPersonMismatch as exc:
                show_known_people(formset, live, exc)
            except (HouseholdError, ValidationError) as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                extra = {} if emergency else {"incomes": draft_incomes(
                    (f.cleaned_data["id_number"], f.cleaned_data.get("declared_income"))
                    for f in live)}
                _start_draft(request, new=data, members=members, **extra)
                return _next_screen(request)
        if found is not None:
            incomes = _existing_draft(request, found, emergency)
            if incomes is None:
                return _next_screen(request)
            chosen = found  # an amount refused: the household again, with its errors
        status = 400
    else:
        status = 200
        lookup = HouseholdLookupForm()
        initial, members = {}, []
        draft = _draft(request)
        if search.id_param(request, "household") is not None:
            chosen = _household(user, search.id_param(request, "household"))
            log_access(request, AccessLog.Action.VIEW, "household", chosen.pk, detail="受理")
            incomes = household_incomes_form(None, chosen)
        elif draft and draft.get("new") and request.GET.get("back") and (
                bool(draft.get("emergency")) == emergency):
            initial = {"village": draft["new"]["village"],
                       **{k: draft["new"].get(k, "") for k in HOUSEHOLD_FIELDS}}
            declared = draft.get("incomes") or {}
            members = [{**m, "declared_income": declared.get(m["id_number"]) or ""}
                       for m in draft["members"]]
        form = HouseholdForm(initial=initial, villages=villages)
        formset = member_formset(initial=members, prefix="m")
    return render(request, "cases/acceptance/household.html", {
        "lookup": lookup, "form": form, "formset": formset, "chosen": chosen,
        "chosen_members": chosen.current_members() if chosen else [], "step": 1,
        "emergency": emergency, "incomes": None if emergency else incomes,
    }, status=status)


@require_GET
def accept_lookup(request: HttpRequest) -> JsonResponse:
    """JSON for screen 1's look-up as the clerk types: the household whose head has that ID
    number, within the clerk's townships; members with masked ID numbers only."""
    _require_clerk(request.user)
    value = search.term(request, "head_id", max_length=40)
    try:
        idnumber.validate_id_number(idnumber.normalize(value))
    except ValidationError as exc:
        return JsonResponse({"found": False, "error": exc.messages[0]})
    _log_lookup(request, value)
    household = _find_by_head(request.user, value)
    if household is None:
        return JsonResponse({"found": False,
                             "error": "您的受理范围内没有以该身份证号码为户主的家庭，"
                                      "请在下方登记新家庭。"})
    return JsonResponse({"found": True, "pk": household.pk, "village": _place(household.village),
                         "address": household.address, "members": [
                             {"name": m.person.name, "id": m.person.masked_id,
                              "relationship": m.get_relationship_display(),
                              "income_field": income_field_name(m.person)}
                             for m in household.current_members().order_by("id")]})


# --- Screen 2: the case -----------------------------------------------------------------------

def _draft_members(user, draft: dict) -> tuple[Household | None, list[DraftMember], dict]:
    """The household (existing) or None (new), the members as screen 2 shows them, and a
    summary for the page."""
    today = timezone.localdate()
    if draft.get("household"):
        household = _household(user, draft["household"])
        rows = list(household.current_members())
        members = [DraftMember(str(i), m.person.name, m.person.id_number, m.relationship,
                               m.person.age_on(today) >= 18) for i, m in enumerate(rows)]
        summary = {"village": _place(household.village), "address": household.address,
                   "existing": True}
        return household, members, summary
    labels = dict(Relationship.choices)
    members = [DraftMember(str(i), m["name"], m["id_number"], m["relationship"],
                           is_adult(m["id_number"], today))
               for i, m in enumerate(draft["members"])]
    village = Village.objects.select_related("township").filter(
        pk=draft["new"]["village"]).first()
    summary = {"village": _place(village) if village else "", "address": draft["new"]["address"],
               "existing": False, "labels": labels}
    return None, members, summary


def _application_members(form_members, household: Household):
    people = {m.person.id_number: m.person for m in household.current_members()}
    if any(m.id_number not in people for m in form_members):
        raise CaseActionError("members", "该家庭的成员刚刚已有变动，请返回第一步重新选择家庭。")
    return people


def _declared_incomes(draft: dict, people: dict) -> dict | None:
    """The draft's declared incomes by person ({ID number: person} of the household)."""
    incomes = draft.get("incomes")
    if incomes is None:
        return None
    if any(number not in people for number in incomes):
        raise CaseActionError("members", "该家庭的成员刚刚已有变动，请返回第一步重新选择家庭。")
    return {people[number]: amount for number, amount in incomes.items()}


# What the last screen's save may be refused with; `refusal_message` words each for the form.
SAVE_REFUSALS = (CaseActionError, KnownPersonMismatch, HouseholdError, ValidationError)


def refusal_message(exc: Exception) -> str:
    """The Chinese message of a refused save (one of `SAVE_REFUSALS`), for the form's top."""
    if isinstance(exc, CaseActionError):
        return exc.message
    if isinstance(exc, KnownPersonMismatch):
        return ("已登记人员的信息在第一步之后有变动，请返回第一步重新核对："
                + "；".join(exc.messages))
    return "；".join(exc.messages)


def _accept(user, draft: dict, household: Household | None, members: list[DraftMember],
            form: AcceptanceSignForm):
    """Everything of screen 3's submit in one transaction; returns the accepted case: the
    household (new), the case, its delegate, each adult's authorization with its scan, the
    signed 申请书 and 诚信声明 pages as the household's attachments, and the acceptance."""
    application = draft["application"]
    with transaction.atomic():
        if household is None:
            household = household_save(household=_new_household(user, draft["new"]),
                                       members=draft["members"], by=user,
                                       source=PersonChange.Source.ACCEPTANCE)
        people = _application_members(members, household)
        applicant = next(m for m in members if m.key == application["applicant"])
        case = services.case_create(household=household, applicant=people[applicant.id_number],
                                    kind=application["kind"], hardship=application["hardship"],
                                    declared_incomes=_declared_incomes(draft, people), by=user)
        if application.get("agent"):
            case_agent_record(case=case, by=user, **application["agent"])
        if case.kind in AUTHORIZATION_KINDS:
            for m in members:
                scan = form.cleaned_data["scans"].get(m.key)
                if scan is not None:
                    services.authorization_record(
                        case=case, person=people[m.id_number],
                        signed_on=form.cleaned_data["signed_on"], by=user, scan=scan)
        for kind, upload, number in form.cleaned_data["signed_pages"]:
            attachment_add(household=household, case=case, kind=kind, uploaded_file=upload,
                           by=user, note=f"受理时上传，第{number}页")
        return services.case_accept(case=case, by=user, note=accept_note(application))


def _draft_or_restart(request):
    draft = _draft(request)
    if draft is None:
        messages.error(request, "受理草稿已失效（已提交或已超时），请重新开始。")
    return draft


@require_http_methods(["GET", "POST"])
def accept_case(request: HttpRequest) -> HttpResponse:
    """Screen 2: the application. Saved into the draft; the bundle to sign prints from it."""
    user = request.user
    _require_clerk(user)
    draft = _draft_or_restart(request)
    if draft is None:
        return redirect("accept_start")
    household, members, summary = _draft_members(user, draft)
    status = 200
    if request.method == "POST":
        form = AcceptanceCaseForm(request.POST, members=members)
        if request.POST.get("token") != draft["token"]:
            messages.error(request, "受理草稿已更换，请核对后重新提交。")
            return redirect("accept_case")
        if form.is_valid():
            _save_application(request, draft, form)
            if request.POST.get("print"):
                return _bundle_response(request, draft, household, members)
            return redirect("accept_sign")
        status = 400
    else:
        form = AcceptanceCaseForm(initial=application_initial(draft.get("application")),
                                  members=members)
        if household is not None:
            log_access(request, AccessLog.Action.VIEW, "household", household.pk, detail="受理")
    return render(request, "cases/acceptance/case.html", {
        "form": form, "members": members, "summary": summary, "token": draft["token"],
        "checklist": checklist(), "shared": shared_materials(), "step": 2,
    }, status=status)


def _save_application(request, draft: dict, form: AcceptanceCaseForm) -> None:
    draft["application"] = form.application()
    request.session[DRAFT_KEY] = draft


def _bundle_response(request, draft: dict, household, members) -> HttpResponse:
    """The bundle to sign, rendered from the draft: nothing saved, numbered or started."""
    from documents.bundle import draft_bundle_pdf
    from documents.context import DocumentDataError

    application = draft["application"]
    applicant = next((m for m in members if m.key == application["applicant"]), None)
    if applicant is None:
        raise PermissionDenied("申请人不在该家庭中。")
    try:
        content = draft_bundle_pdf(
            by=request.user, household=household,
            new_household=None if household is not None else (
                _new_household(request.user, draft["new"]), draft["members"]),
            applicant_id_number=applicant.id_number, kind=application["kind"],
            hardship=application["hardship"], agent=application.get("agent"),
            declared_incomes=draft.get("incomes"))
    except ValidationError as exc:  # the household changed since screen 1 (HouseholdError)
        messages.error(request, "家庭成员信息在第一步之后有变动，请返回第一步重新核对："
                       + "；".join(exc.messages))
        return redirect("accept_case")
    except DocumentDataError as exc:
        messages.error(request, str(exc))
        return redirect("accept_case")
    log_access(request, AccessLog.Action.PRINT, "acceptance_bundle",
               household.pk if household is not None else "", detail="受理前打印待签字材料")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = "inline; filename*=UTF-8''bundle.pdf"
    return response


@require_GET
def accept_bundle(request: HttpRequest) -> HttpResponse:
    """The bundle to sign of the current draft (screens 2 and 3), before anything is saved."""
    user = request.user
    _require_clerk(user)
    draft = _draft_or_restart(request)
    if draft is None or not draft.get("application"):
        return redirect("accept_start" if draft is None else "accept_case")
    household, members, _ = _draft_members(user, draft)
    return _bundle_response(request, draft, household, members)


# --- Screen 3: the signed pages, the acceptance, the notice ---------------------------------

@require_http_methods(["GET", "POST"])
def accept_sign(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_clerk(user)
    draft = _draft_or_restart(request)
    if draft is None:
        return redirect("accept_start")
    if not draft.get("application"):
        return redirect("accept_case")
    household, members, summary = _draft_members(user, draft)
    application = draft["application"]
    needs_authorization = application["kind"] in AUTHORIZATION_KINDS
    adults = [m for m in members if m.adult]
    status = 200
    if request.method == "POST":
        if request.POST.get("token") != draft["token"]:
            messages.error(request, "受理草稿已更换，请核对后重新提交。")
            return redirect("accept_sign")
        form = AcceptanceSignForm(request.POST, adults=adults,
                                  needs_authorization=needs_authorization,
                                  files=request.FILES.getlist("scans"),
                                  targets=request.POST.getlist("scan_for"),
                                  pages={name: request.FILES.getlist(name)
                                         for name, _, _ in SIGNED_PAGES})
        if form.is_valid():
            try:
                case = _accept(user, draft, household, members, form)
            except SAVE_REFUSALS as exc:
                form.add_error(None, refusal_message(exc))
            else:
                request.session.pop(DRAFT_KEY, None)
                return redirect("accept_done", pk=case.pk)
        status = 400
    else:
        form = AcceptanceSignForm(adults=adults, needs_authorization=needs_authorization)
    applicant = next((m for m in members if m.key == application["applicant"]), None)
    return render(request, "cases/acceptance/sign.html", {
        "form": form, "members": members, "adults": adults, "summary": summary,
        "token": draft["token"], "application": application, "applicant": applicant,
        "kind_label": dict(ACCEPT_KINDS).get(application["kind"], ""),
        "needs_authorization": needs_authorization, "step": 3,
    }, status=status)


@require_GET
def accept_done(request: HttpRequest, pk: int) -> HttpResponse:
    case = scoping.case_for_user(request.user, pk)
    log_access(request, AccessLog.Action.VIEW, "case", case.pk, detail="受理完成")
    notice = case.documents.filter(kind=DocumentKind.ACCEPTANCE).order_by("-pk").first()
    decision = case.deadlines.filter(kind=DeadlineKind.DECISION).order_by("-start_at").first()
    return render(request, "cases/acceptance/sign.html", {
        "case": case, "notice": notice, "decision": decision,
        "authorizations": case.authorizations.select_related("person").order_by("pk"),
        "agent": case_agent(case),
        "signed_pages": _signed_page_counts(case),
        "step": 3,
    })


def _signed_page_counts(case) -> list[tuple[str, int]]:
    """(label, number of pages) of the signed forms stored with the case at acceptance."""
    counts = {k: 0 for _, k, _ in SIGNED_PAGES}
    for kind in case.attachments.filter(kind__in=counts).values_list("kind", flat=True):
        counts[kind] += 1
    return [(what, counts[kind]) for _, kind, what in SIGNED_PAGES]
