"""Household pages: the clerk's home list, create/edit with members, detail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from cases import idnumber, scoping
from cases.audit_access import log_access
from cases.forms import HouseholdForm, MemberFormSet, show_known_people
from cases.households import HouseholdError, KnownPersonMismatch, household_save, mask_name
from cases.models import AccessLog, Household, Membership, Person
from cases.permissions import Role


def _search(queryset, q: str):
    """Households with a current member of that name or ID number, or at that address.

    Members are matched in a subquery, not a join: a join on memberships would also limit
    the member count annotated afterwards to the matching members.
    """
    q = q.strip()
    if not q:
        return queryset
    current = Membership.objects.filter(ended_on__isnull=True)
    compact = idnumber.normalize(q)
    if len(compact) == 18:
        return queryset.filter(
            pk__in=current.filter(person__id_number=compact).values("household_id"))
    return queryset.filter(
        Q(pk__in=current.filter(person__name__startswith=q).values("household_id"))
        | Q(address__contains=q)
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Households of the user's townships/villages, searchable by name or ID number."""
    q = request.GET.get("q", "").strip()
    households = _search(scoping.households_visible_to(request.user), q)
    households = households.select_related("village__township", "head").annotate(
        member_count=Count("memberships", filter=Q(memberships__ended_on__isnull=True))
    ).order_by("-updated_at", "-id")
    page = Paginator(households, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    if q:
        log_access(request, AccessLog.Action.SEARCH, "household", detail=f"检索：{q[:6]}…"
                   if len(idnumber.normalize(q)) == 18 else f"检索：{q[:20]}")
    return render(request, "cases/home.html", {
        "page": page, "q": q, "can_create": scoping.can_create_household(request.user),
    })


def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = scoping.household_for_user(request.user, pk)
    log_access(request, AccessLog.Action.VIEW, "household", household.pk)
    return render(request, "cases/household_detail.html", {
        "household": household,
        "members": household.current_members(),
        "can_edit": scoping.can_edit_household(request.user, household),
        "cases": household.cases.select_related("applicant").order_by("-applied_at"),
        "can_apply": scoping.has_role(request.user, Role.CLERK, Role.LEADER)
        and scoping.townships_for(request.user).filter(pk=household.village.township_id)
        .exists(),
    })


def _edit(request: HttpRequest, household: Household | None) -> HttpResponse:
    initial_members = []
    if household is not None:
        for m in household.current_members():
            p = m.person
            initial_members.append({
                "name": p.name, "id_number": p.id_number, "phone": p.phone,
                "hukou_type": p.hukou_type, "relationship": m.relationship,
                "disability_grade": p.disability_grade, "disability_type": p.disability_type,
                "health": p.health, "labour_capacity": p.labour_capacity,
                "occupation": p.occupation,
            })
    villages = scoping.villages_for(request.user).select_related("township")
    status = 200
    if request.method == "POST":
        form = HouseholdForm(request.POST, instance=household, villages=villages)
        # A mutable copy: a refused save of registered people writes each row's comparison
        # reference back into the form (`show_known_people`).
        formset = MemberFormSet(request.POST.copy(), initial=initial_members, prefix="m")
        if form.is_valid() and formset.is_valid():
            live = [f for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            members = [f.cleaned_data for f in live]
            try:
                saved = household_save(household=form.instance, members=members,
                                       by=request.user)
            except KnownPersonMismatch as exc:
                show_known_people(formset, live, exc)
                status = 400
            except HouseholdError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            except ValidationError as exc:
                formset._non_form_errors = formset.error_class(exc.messages)
            else:
                messages.success(request, "家庭信息已保存。")
                return redirect(saved)
    else:
        form = HouseholdForm(instance=household, villages=villages)
        formset = MemberFormSet(initial=initial_members, prefix="m")
    return render(request, "cases/household_form.html", {
        "form": form, "formset": formset, "household": household,
    }, status=status)


def household_create(request: HttpRequest) -> HttpResponse:
    if not scoping.can_create_household(request.user):
        raise PermissionDenied("您没有登记家庭的权限。")
    return _edit(request, None)


def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = scoping.household_for_user(request.user, pk)
    if not scoping.can_edit_household(request.user, household):
        raise PermissionDenied("您没有修改该家庭的权限。")
    if request.method == "GET":
        # The edit form shows every member's full ID number: a look-up like the detail page.
        log_access(request, AccessLog.Action.VIEW, "household", household.pk, detail="修改页面")
    return _edit(request, household)


@require_GET
def id_check(request: HttpRequest) -> HttpResponse:
    """Live check of one ID number typed into a member row (htmx, and the acceptance script).

    A valid number that is registered is named by the person's masked name and where they
    live now — only when their current household is within the user's scope; otherwise the
    answer says only that the number is registered in another township. Every answer that
    names a registered person is written to the look-up log.
    """
    value = next((v for k, v in request.GET.items() if k.endswith("id_number")), "")
    if not value.strip():
        return HttpResponse("")
    try:
        idnumber.validate_id_number(value)
    except ValidationError as exc:
        return render(request, "cases/_id_check.html", {"error": exc.messages[0]})
    number = idnumber.normalize(value)
    born = idnumber.birth_date_of(number)
    gender = "男" if idnumber.gender_of(number) == "M" else "女"
    context = {"born": born, "gender": gender}
    person = Person.objects.filter(id_number=number).first()
    if person is not None:
        membership = person.memberships.filter(ended_on__isnull=True).select_related(
            "household__village__township").first()
        if membership is None:
            context["known"] = {"name": mask_name(person.name), "household": None}
        elif scoping.households_visible_to(request.user).filter(
                pk=membership.household_id).exists():
            village = membership.household.village
            context["known"] = {"name": mask_name(person.name),
                                "household": f"{village.township.name} · {village.short_name}"}
        else:
            context["known"] = {"elsewhere": True}
        log_access(request, AccessLog.Action.SEARCH, "person", person.pk,
                   detail=f"录入时核对身份证号码：{idnumber.mask(number)}")
    return render(request, "cases/_id_check.html", context)
