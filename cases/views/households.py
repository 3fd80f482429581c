"""Household pages: the clerk's home list, create/edit with members, detail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from cases import idnumber, payee, scoping, search
from cases.audit_access import log_access
from cases.forms import HouseholdForm, MemberFormSet, show_known_people
from cases.households import (
    HouseholdError,
    KnownPersonMismatch,
    household_save,
    mask_name,
    within_places,
)
from cases.list_fields import encrypted_fields
from cases.models import AccessLog, Household, Membership, Person
from cases.permissions import Role, can_request_account_change
from cases.views.payee import rows_of

# The list counts at most this many households (40 pages); beyond it the pager says so.
COUNT_CAP = 1_000
SEARCH_PEOPLE_LIMIT = 1_000  # people matched by a name prefix before their households are read
ORDER = ("-updated_at", "-id")


class CappedPaginator(Paginator):
    """Counts at most `COUNT_CAP` + 1 households with `count_of(limit)`; pages are sliced from
    `ordered(top)`, the household ids in display order, of which only the first `top` rows
    are needed."""

    def __init__(self, ordered, per_page, *, count_of):
        super().__init__([], per_page)
        self.ordered, self.count_of = ordered, count_of

    @cached_property
    def count(self) -> int:
        return self.count_of(COUNT_CAP + 1)

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        return self._get_page(list(self.ordered(top)[bottom:top]), number, self)


def _by_people(queryset, q: str):
    """(households of `queryset` with a current member whose name starts with `q`, whose ID
    number is `q` or ends with `q` (six characters: `search.id_tail`), whether `q` is such a
    number or tail). People are found first (by the name, ID-number or tail-hash index, at
    most `SEARCH_PEOPLE_LIMIT`), then their current households among those of `queryset`
    (the user's places), so no household of the scope is read to match a name."""
    compact = idnumber.normalize(q)
    tail = search.id_tail(q)
    by_number = len(compact) == 18 or tail is not None
    if len(compact) == 18:
        people = Person.objects.filter(id_number=compact)
    elif tail:
        people = search.people_with_id_tail(tail)
    else:
        people = Person.objects.filter(name__startswith=q)
    people = people.order_by().values("pk")[:SEARCH_PEOPLE_LIMIT]
    current = Membership.objects.filter(ended_on__isnull=True, person_id__in=people)
    return queryset.filter(pk__in=current.values("household_id")), by_number


def _search(queryset, q: str):
    """Households with a current member whose name starts with `q` or whose ID number is `q`
    or ends with it; when no member's name starts with `q`, households whose address contains
    it (never for an ID number or its tail)."""
    matched, by_number = _by_people(queryset, q)
    if by_number or matched.exists():
        return matched
    return queryset.filter(address__contains=q)


def _search_ids(queryset, q: str, limit: int) -> list[int]:
    """`_search` as the ids of its first `limit` households, newest first: one statement (two
    when the address is searched), the matches counted from the list."""
    matched, by_number = _by_people(queryset, q)
    ids = list(matched.order_by(*ORDER).values_list("pk", flat=True)[:limit])
    if ids or by_number:
        return ids
    return list(queryset.filter(address__contains=q).order_by(*ORDER)
                .values_list("pk", flat=True)[:limit])


def _in_index_order(user, top: int):
    """The first `top` of the user's household ids, newest first.

    A township's households are read in order from the (township, -updated_at, -id) index;
    an assistant's villages each from the (village, -updated_at, -id) index (without the
    households of the user's townships, already read). With several such parts, each part's
    newest `top` households are merged and sorted — never every household of the scope."""
    if scoping.sees_whole_district(user):
        return Household.objects.order_by(*ORDER).values_list("pk", flat=True)
    townships = sorted(scoping.township_ids(user))
    villages = sorted(scoping.assistant_village_ids(user))
    parts = [Household.objects.filter(township_id=t) for t in townships]
    for v in villages:
        part = Household.objects.filter(village_id=v)
        parts.append(part.exclude(township_id__in=townships) if townships else part)
    if connection.vendor != "postgresql" or len(parts) < 2:
        return (scoping.households_visible_to(user).order_by(*ORDER)
                .values_list("pk", flat=True))
    parts = [part.order_by(*ORDER).values_list("pk", "updated_at")[:top] for part in parts]
    return parts[0].union(*parts[1:], all=True).order_by("-updated_at", "-pk")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Households of the user's townships/villages, searchable by name or ID number.

    The page's households are found by id first (in index order, or among the few a search
    matches, counted from their list), then read with their village, township, head and
    member count in one statement — for the page's rows only.
    """
    q = search.term(request)
    scope = scoping.households_visible_to(request.user)
    if q:
        found = _search_ids(scope, q, COUNT_CAP + 1)

        def ordered(top):
            return found

        def count_of(limit):
            return len(found)
    else:
        def ordered(top):
            return _in_index_order(request.user, top)

        def count_of(limit):
            return scope.order_by()[:limit].count()
    page = CappedPaginator(ordered, settings.LIST_PAGE_SIZE, count_of=count_of).get_page(
        request.GET.get("page"))
    ids = [row[0] if isinstance(row, tuple) else row for row in page.object_list]
    members = (Membership.objects.filter(household_id=OuterRef("pk"), ended_on__isnull=True)
               .order_by().values("household_id").annotate(n=Count("pk")).values("n"))
    # The list shows the head's name and masked ID number: no other encrypted field is read.
    by_id = (Household.objects.select_related("village__township", "head")
             .defer(*encrypted_fields(Household),
                    *encrypted_fields(Person, "head__", keep=("id_number",)))
             .annotate(member_count=Coalesce(Subquery(members), 0)).in_bulk(ids))
    page.object_list = [by_id[pk] for pk in ids if pk in by_id]
    if q:
        log_access(request, AccessLog.Action.SEARCH, "household", detail=search.log_term(q))
    return render(request, "cases/home.html", {
        "page": page, "q": q, "can_create": scoping.can_create_household(request.user),
        "count_cap": COUNT_CAP,
    })


def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = scoping.household_for_user(request.user, pk)
    log_access(request, AccessLog.Action.VIEW, "household", household.pk)
    return render(request, "cases/household_detail.html", {
        "household": household,
        "members": household.current_members(),
        "can_edit": scoping.can_edit_household(request.user, household),
        "can_change_account": can_request_account_change(household, request.user),
        "account": [(payee.FIELD_LABELS[n], payee.shown(n, getattr(household, n)))
                    for n in payee.PAYEE_FIELDS],
        "account_changes": rows_of(household.account_changes.select_related(
            "requested_by", "decided_by")),
        "cases": household.cases.select_related("applicant").order_by("-applied_at"),
        "can_apply": scoping.has_role(request.user, Role.CLERK, Role.LEADER)
        and scoping.in_township(request.user, household.village.township_id),
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
    # The payee account is asked for only when a clerk registers a household (cases.payee).
    bank = household is None and scoping.has_role(request.user, Role.CLERK)
    status = 200
    if request.method == "POST":
        form = HouseholdForm(request.POST, instance=household, villages=villages, bank=bank)
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
        form = HouseholdForm(instance=household, villages=villages, bank=bank)
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
    live now — only when their household (the current one, or the last one of a former
    member: `cases.households.person_home`) is within the user's places; otherwise the answer
    says only that the number is registered in another township. Every answer that
    names a registered person is written to the look-up log.
    """
    value = search.clean_term(
        next((v for k, v in request.GET.items() if k.endswith("id_number")), ""),
        max_length=40)
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
        if not within_places(request.user, person):
            # Current or former member elsewhere: the same words, nothing stored about them.
            context["known"] = {"elsewhere": True}
        else:
            membership = person.memberships.filter(ended_on__isnull=True).select_related(
                "household__village__township").first()
            village = membership.household.village if membership is not None else None
            context["known"] = {
                "name": mask_name(person.name),
                "household": f"{village.township.name} · {village.short_name}" if village
                else None}
        log_access(request, AccessLog.Action.SEARCH, "person", person.pk,
                   detail=f"录入时核对身份证号码：{idnumber.mask(number)}")
    return render(request, "cases/_id_check.html", context)
