"""Close relatives of staff (近亲属备案): flags, the 回避 rule, and the bureau's list.

A case is a "relative's application" when its applicant or any current member of its
household has the ID number of an active declaration. The staff member who made that
declaration may not handle or sign off the case; everybody sees the flag.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cases import answers, idnumber, scoping
from cases.errors import CaseActionError
from cases.models import (
    Case,
    Membership,
    Person,
    StaffPost,
    StaffRelative,
    Township,
    Village,
)
from cases.permissions import Role


@dataclass(frozen=True)
class RelativeFlag:
    declaration: StaffRelative
    member_name: str

    @property
    def text(self) -> str:
        d = self.declaration
        place = d.village.short_name if d.village_id else d.township.name
        post = POST_WORDS[d.post]
        return (f"{self.member_name}是{place}{post}{d.staff_name}"
                f"备案的近亲属（{d.get_relationship_display()}）")


POST_WORDS = {StaffPost.TOWNSHIP_STAFF: "工作人员", StaffPost.VILLAGE_CADRE: "干部",
              StaffPost.ASSISTANT: "协理员"}


def active_declarations(on: dt.date | None = None) -> QuerySet[StaffRelative]:
    on = on or timezone.localdate()
    return StaffRelative.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))


# The name of the `cases.answers` question "is anyone in the household a declared relative":
# a case page answers it with its other questions, and reads the declarations only when so.
DECLARED_RELATIVE = "declared_relative"


def declarations_for(case: Case) -> QuerySet[StaffRelative]:
    """Active declarations whose ID number is the applicant's or a current member's (matched
    on the keyed hashes in the database, without reading the members first)."""
    members = Membership.objects.filter(household_id=case.household_id,
                                        ended_on__isnull=True).values("person__id_number_hash")
    return active_declarations().filter(
        Q(relative_id_number_hash__in=members)
        | Q(relative_id_number_hash=case.applicant.id_number_hash))


def _case_declarations(case: Case) -> list[StaffRelative]:
    """`declarations_for(case)` with the matching person's name (`member_name`), read once per
    request (the case page asks for the flags and for the user's conflict), and not at all
    when the page has answered that nobody matches."""
    def read():
        if answers.known(case, DECLARED_RELATIVE) is False:
            return []
        person = Person.objects.filter(id_number_hash=OuterRef("relative_id_number_hash"))
        return list(declarations_for(case).select_related("township", "village", "staff_user")
                    .annotate(member_name=Subquery(person.values("name")[:1]))
                    .order_by("relative_id_number_hash", "id"))

    return scoping.memo("relatives", (case.pk, case.household_id, case.applicant_id), read)


def flags_for(case: Case) -> list[RelativeFlag]:
    """Every active declaration that matches someone in the case's household."""
    return [RelativeFlag(d, d.member_name) for d in _case_declarations(case)]


def flags_by_case(cases) -> dict[int, list[RelativeFlag]]:
    """`flags_for` of many cases in two statements: the current members of all their
    households, then the active declarations matching their keyed ID hashes. The cases'
    applicants should be read with them (`select_related("applicant")`)."""
    cases = list(cases)
    by_household: dict[int, dict[str, str]] = defaultdict(dict)
    for household_id, number_hash, name in (
            Membership.objects.filter(household_id__in={c.household_id for c in cases},
                                      ended_on__isnull=True)
            .order_by("id").values_list("household_id", "person__id_number_hash",
                                        "person__name")):
        by_household[household_id].setdefault(number_hash, name)
    members: dict[int, dict[str, str]] = {}
    for case in cases:
        names = dict(by_household.get(case.household_id, {}))
        names.setdefault(case.applicant.id_number_hash, case.applicant.name)
        members[case.pk] = names
    hashes = sorted({h for names in members.values() for h in names if h})
    declarations = list(
        active_declarations().filter(relative_id_number_hash__in=hashes)
        .select_related("township", "village", "staff_user")
        .order_by("relative_id_number_hash", "id")) if hashes else []
    return {case.pk: [RelativeFlag(d, members[case.pk][d.relative_id_number_hash])
                      for d in declarations if d.relative_id_number_hash in members[case.pk]]
            for case in cases}


def conflict_message(case: Case, user) -> str:
    """The refusal text when `user` declared a relative in the case's household, else ''."""
    if user is None or not getattr(user, "pk", None):
        return ""
    hit = next((d for d in sorted(_case_declarations(case), key=_declaration_order)
                if d.staff_user_id == user.pk), None)
    if hit is None:
        return ""
    return (f"申请家庭成员{hit.member_name}是您备案的近亲属"
            f"（{hit.get_relationship_display()}），按回避规定，您不能经办或审批该案件。")


def _declaration_order(d: StaffRelative):
    # StaffRelative's default ordering, which the single-row query used to follow.
    return (d.township_id, d.staff_name, d.relative_name, d.pk)


def require_no_conflict(case: Case, user) -> None:
    message = conflict_message(case, user)
    if message:
        raise CaseActionError("relative_conflict", message)


def relative_cases() -> QuerySet[Case]:
    """Cases whose applicant or current household member is a declared relative (bureau)."""
    # Matched on the keyed hashes in the database: no ID number is decrypted for this list.
    hashes = active_declarations().values("relative_id_number_hash")
    households = Membership.objects.filter(
        ended_on__isnull=True, person__id_number_hash__in=hashes).values("household_id")
    return Case.objects.filter(Q(applicant__id_number_hash__in=hashes)
                               | Q(household_id__in=households)).distinct()


def declarations_visible_to(user) -> QuerySet[StaffRelative]:
    """Declarations `user` may list: every one for district staff; for township staff those of
    their townships; for a village assistant only those of their own villages — never the
    township staff's or other villages' — and, for everybody, their own."""
    if scoping.sees_whole_district(user):
        return StaffRelative.objects.all()
    condition = Q(staff_user_id=user.pk)
    townships = scoping.township_ids(user)
    if townships:
        condition |= Q(township_id__in=sorted(townships))
    villages = scoping.assistant_village_ids(user)
    if villages:
        condition |= Q(village_id__in=sorted(villages))
    return StaffRelative.objects.filter(condition)


# --- Declaring ------------------------------------------------------------------------------
def can_declare_for(user, township: Township) -> bool:
    """Township staff declare their own relatives and record village cadres' declarations for
    their townships; assistants declare their own; district staff record any."""
    if scoping.sees_whole_district(user):
        return True
    return scoping.has_role(user, Role.CLERK, Role.LEADER, Role.VERIFIER) and \
        scoping.townships_for(user).filter(pk=township.pk).exists()


@transaction.atomic
def relative_declare(*, by, staff_name: str, post: str, township: Township,
                     relative_name: str, relative_id_number: str, relationship: str,
                     declared_on: dt.date, staff_user=None, village: Village | None = None,
                     note: str = "") -> StaffRelative:
    """Record one declared close relative.

    Args:
        by: who records it: the staff member (for themselves), or township/district staff
            recording a village cadre's declaration.
        staff_user: the declaring staff member's account (None for a cadre without one).
        Other args: the declaration's fields (`StaffRelative`).

    Returns:
        The declaration.
    """
    from django.core.exceptions import ValidationError

    own = staff_user is not None and staff_user.pk == by.pk
    if own:
        if village is not None and scoping.has_role(by, Role.ASSISTANT) and \
                scoping.villages_for(by).filter(pk=village.pk).exists():
            township = village.township
        elif not scoping.townships_for(by).filter(pk=township.pk).exists():
            raise CaseActionError("place", "请选择您所在的镇街或协理的村(社区)。")
    elif not can_declare_for(by, township):
        raise CaseActionError("forbidden", "您不能为该镇街的人员录入近亲属备案。")
    if village is not None and village.township_id != township.pk:
        raise CaseActionError("village", "所选村(社区)不属于该镇街。")
    if post not in StaffPost.values:
        raise CaseActionError("post", "请选择备案人岗位。")
    number = idnumber.normalize(relative_id_number or "")
    try:
        idnumber.validate_id_number(number)
    except ValidationError as exc:
        raise CaseActionError("id_number", "；".join(exc.messages)) from exc
    if not (staff_name or "").strip() or not (relative_name or "").strip():
        raise CaseActionError("name", "请填写备案人和近亲属的姓名。")
    if declared_on > timezone.localdate():
        raise CaseActionError("date", "备案日期不能晚于今天。")
    if active_declarations().filter(staff_name=staff_name.strip(), township=township,
                                    relative_id_number=number).exists():
        raise CaseActionError("duplicate", "该近亲属已由同一备案人备案。")
    scoping.forget()  # the case pages' flags read in this request are out of date
    return StaffRelative.objects.create(
        staff_user=staff_user, staff_name=staff_name.strip(), post=post, township=township,
        village=village, relative_name=relative_name.strip(), relative_id_number=number,
        relationship=relationship, declared_on=declared_on, note=note, recorded_by=by,
    )
