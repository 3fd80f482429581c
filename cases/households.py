"""Household services: create or change a household and its members in one transaction.

A member is found by ID number (through its keyed hash). When the number belongs to a person
already registered but not a current member of this household (a former member of an ended
household, a person registered before), the stored details are not overwritten silently: if
they differ from what the clerk typed, nothing is saved and `KnownPersonMismatch` lists each
such member with the stored and the typed values, until the clerk confirms per member either
"update with what was typed" or "keep the stored details". A blank phone or occupation typed
for such a person means "not given" and keeps the stored one. The details of current members of
the household being edited are shown in the edit form, so changing them there is deliberate.
Every change of a registered person's details is written to `PersonChange`.

A registered person belongs to the place of their current household, or of their last one when
they are a former member (`person_home`). A user whose places do not include it is told only
that the number is registered elsewhere (`outside_places_message`): never the person's name,
village or stored details, and neither moving nor updating the person is possible here — the
other township ends the membership (and hands the person over) first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cases import idnumber, scoping
from cases.errors import CaseActionError
from cases.models import Case, Household, Membership, Person, PersonChange, Relationship
from cases.payee import household_bank_guard
from cases.workflow import LIVE_STATUSES, CaseStatus

PERSON_FIELDS = ("name", "phone", "hukou_type", "disability_grade", "disability_type",
                 "health", "labour_capacity", "occupation")
# Optional details a clerk may leave blank for a registered person: blank means "not given"
# (the stored value stays), since the clerk cannot see the stored value to retype it.
OPTIONAL_FIELDS = ("phone", "occupation")
# Shown masked when stored (the clerk already sees in full what they typed).
MASKED_FIELDS = {"phone": idnumber.mask_phone, "id_number": idnumber.mask}

KNOWN_UPDATE = "update"
KNOWN_KEEP = "keep"
EMPTY = "（未填写）"


class HouseholdError(ValidationError):
    """A household change that breaks a rule (e.g. a person already in another household)."""


@dataclass
class FieldDifference:
    field: str
    label: str
    stored: str
    typed: str


@dataclass
class KnownPerson:
    """A typed member whose ID number is registered to a person with other stored details."""

    index: int  # position in the `members` list given to `household_save`
    person: Person
    typed_name: str
    ref: str  # binds a confirmation to exactly this comparison
    differences: list[FieldDifference] = field(default_factory=list)

    @property
    def masked_id(self) -> str:
        return self.person.masked_id

    @property
    def masked_name(self) -> str:
        return mask_name(self.person.name)

    @property
    def name_differs(self) -> bool:
        return any(d.field == "name" for d in self.differences)

    @property
    def message(self) -> str:
        if self.name_differs:
            return (f"身份证号码{self.masked_id}已登记为“{self.person.name}”，与本次填写的姓名"
                    f"“{self.typed_name}”不一致：号码与姓名不符，最可能是身份证号码或姓名录入有误，"
                    f"请先对照证件核对。")
        labels = "、".join(d.label for d in self.differences)
        return (f"成员“{self.typed_name}”（{self.masked_id}）已登记，登记的{labels}与本次填写"
                f"不一致。")


class KnownPersonMismatch(HouseholdError):
    """Registered people whose stored details differ from the form; nothing was saved."""

    def __init__(self, known: list[KnownPerson]):
        self.known = known
        super().__init__([k.message for k in known])


def mask_name(name: str) -> str:
    """张秀英 → 张*英, 张三 → 张*, 欧阳文华 → 欧**华."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def person_home(person: Person) -> Household | None:
    """The household a registered person belongs to: the current one, else the last one they
    left (None for a person never placed in a household)."""
    membership = (person.memberships.select_related("household")
                  .order_by(F("ended_on").desc(nulls_first=True), "-started_on", "-pk").first())
    return membership.household if membership is not None else None


def within_places(user, person: Person) -> bool:
    """Whether `user` may name, move or update `person`: the person's household
    (`person_home`) is among the user's places, or the person was never placed. Asked for
    every acting user; a service run without one (demo seeding) is not limited."""
    if user is None or not getattr(user, "pk", None):
        return True
    home = person_home(person)
    return home is None or scoping.household_in_scope(user, home)


def outside_places_message(user, person: Person) -> str:
    """The refusal for a person registered outside the user's places, else ''. The same words
    whether the person is a current or a former member, and with nothing stored about them but
    the masked number the user typed."""
    if within_places(user, person):
        return ""
    home = person_home(person)
    masked = idnumber.mask(person.id_number)
    if scoping.villages_for(user).filter(township_id=home.township_id).exists():
        # An assistant, and the person's village is another one of the same township.
        return (f"身份证号码{masked}在您负责的村(社区)以外登记，您不能登记或修改此人；"
                f"请由镇街窗口办理。")
    return (f"身份证号码{masked}已在其他镇街登记，本镇街不能登记或修改此人的信息。"
            f"如此人已迁入本镇街，须由原登记镇街先结束其在原户的成员资格（办理迁出），"
            f"请与该镇街联系。")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _display(name: str, value, *, stored: bool) -> str:
    model_field = Person._meta.get_field(name)
    text = _text(value)
    if not text:
        return EMPTY
    if model_field.choices:
        labels = {str(k): str(v) for k, v in model_field.flatchoices}
        text = labels.get(text, text)
    elif stored and name in MASKED_FIELDS:
        text = MASKED_FIELDS[name](text)
    return text


def _differences(person: Person, typed: dict) -> list[FieldDifference]:
    return [
        FieldDifference(name, str(Person._meta.get_field(name).verbose_name),
                        _display(name, getattr(person, name), stored=True),
                        _display(name, value, stored=False))
        for name, value in typed.items() if _text(getattr(person, name)) != _text(value)
    ]


def _ref(number: str, person: Person, typed: dict) -> str:
    """A keyed digest of the number and of every stored and typed value being compared."""
    content = json.dumps([number, person.pk, {name: [_text(getattr(person, name)), _text(value)]
                                              for name, value in typed.items()}],
                         sort_keys=True, ensure_ascii=False)
    return salted_hmac("cases.households.known_person", content).hexdigest()[:32]


def person_change_record(*, person: Person, old: dict, new: dict, by=None,
                         source: str = PersonChange.Source.OTHER, household=None,
                         confirmed: bool = False) -> PersonChange | None:
    """Record a change of a registered person's details (only the fields that changed).

    Args:
        old, new: field name → value before and after (values as stored on `Person`).

    Returns:
        The record, or None when nothing changed.
    """
    changed = {name: [old.get(name), new.get(name)] for name in new
               if _text(old.get(name)) != _text(new.get(name))}
    if not changed:
        return None
    return PersonChange.objects.create(
        person=person, by=by if getattr(by, "pk", None) else None, source=source,
        household=household if getattr(household, "pk", None) else None, confirmed=confirmed,
        fields=",".join(changed)[:200], changes=changed,
    )


@transaction.atomic
def household_save(*, household: Household, members: list[dict], by=None,
                   source: str = PersonChange.Source.HOUSEHOLD) -> Household:
    """Save a household and make `members` its exact current membership.

    Args:
        household: a new or existing (unsaved changes allowed) household.
        members: cleaned member dicts (name, id_number, relationship and person fields); a
            member whose number is registered may carry `known` ("update" or "keep") and
            `known_ref` (the `KnownPerson.ref` the clerk was shown) to settle a mismatch.
        by: the acting user (recorded with every change of a registered person).
        source: where the change comes from (`PersonChange.Source`).

    Returns:
        The saved household. Nothing is written if any rule fails.

    Raises:
        HouseholdError: a person is registered outside the places of `by`
            (`outside_places_message`), a person is a current member of another household, a
            person moving
            in would leave two live 低保/特困 cases covering one household
            (`refuse_double_benefit`), or the household's payee account would be set or
            changed outside `cases.payee`.
        KnownPersonMismatch: registered people whose details differ, not yet confirmed.
    """
    try:
        household_bank_guard(household, by)
    except CaseActionError as exc:
        raise HouseholdError(exc.message) from exc
    current = {}
    if household.pk is not None:
        # The household row first, then the people: the order of the case services
        # (`cases.services._lock_households`), so a move and an acceptance wait, never deadlock.
        list(Household.objects.select_for_update().filter(pk=household.pk)
             .values_list("pk", flat=True))
        current = {m.person.id_number: m for m in household.memberships.filter(
            ended_on__isnull=True).select_related("person")}
    plans, unsettled = [], []
    for index, data in enumerate(members):
        number = idnumber.normalize(data["id_number"])
        person = Person.objects.select_for_update().filter(id_number=number).first()
        typed = {name: data[name] for name in PERSON_FIELDS
                 if name in data and data[name] is not None}
        confirmed = False
        if person is not None and number not in current:
            outside = outside_places_message(by, person)
            if outside:
                raise HouseholdError(outside)
            other = Membership.objects.filter(person=person, ended_on__isnull=True)
            if household.pk is not None:
                other = other.exclude(household=household)
            other = other.select_related("household__village").first()
            if other is not None:
                raise HouseholdError(
                    f"{person.name}（{person.masked_id}）已是{other.household.village.short_name}"
                    f"另一户的在册成员，请先在原户办理迁出。"
                )
            typed = {name: value for name, value in typed.items()
                     if not (name in OPTIONAL_FIELDS and not _text(value))}
            differences = _differences(person, typed)
            if differences:
                ref = _ref(number, person, typed)
                choice = data.get("known") if data.get("known_ref") == ref else ""
                if choice == KNOWN_KEEP:
                    typed = {}
                elif choice == KNOWN_UPDATE:
                    confirmed = True
                else:
                    unsettled.append(KnownPerson(index, person, _text(typed.get("name")),
                                                 ref, differences))
        plans.append((data, number, person, typed, confirmed))
    if unsettled:
        raise KnownPersonMismatch(unsettled)
    moving_in = [person for _, number, person, _, _ in plans
                 if person is not None and number not in current]

    household.save()
    today = timezone.localdate()
    wanted_ids = set()
    head = None
    for data, number, person, typed, confirmed in plans:
        wanted_ids.add(number)
        old = {}
        if person is None:
            person = Person(id_number=number, birth_date=idnumber.birth_date_of(number),
                            gender=idnumber.gender_of(number))
        else:
            old = {name: getattr(person, name) for name in typed}
        for name, value in typed.items():
            setattr(person, name, value)
        person.full_clean(validate_unique=False)
        person.save()
        if old:
            person_change_record(person=person, old=old,
                                 new={name: getattr(person, name) for name in typed},
                                 by=by, source=source, household=household,
                                 confirmed=confirmed)
        membership = current.get(number)
        if membership is None:
            membership = Membership.objects.create(
                household=household, person=person, relationship=data["relationship"],
            )
        elif membership.relationship != data["relationship"]:
            membership.relationship = data["relationship"]
            membership.save(update_fields=["relationship"])
        if data["relationship"] == Relationship.HEAD:
            head = person
    for number, membership in current.items():
        if number not in wanted_ids:
            membership.ended_on = today
            membership.save(update_fields=["ended_on"])
    if head is not None and household.head_id != head.pk:
        household.head = head
        household.save(update_fields=["head", "updated_at"])
    if moving_in:
        refuse_double_benefit(household, moving_in)
    return household


def refuse_double_benefit(household: Household, moving_in: list[Person]) -> None:
    """Refuse a move that would leave one household covered by two live 低保/特困 cases.

    Asked after the new memberships are written, in the same transaction, with the one-benefit
    rule of the case moves (`Case.conflicting_cases`, the rule `applicant_not_already_covered`):
    for every accepted, live case of this household or of a person moving in, is another live
    case now covering the same people? A case only received is left to its acceptance, which
    asks the same rule. Raising rolls back the whole save.

    Raises:
        HouseholdError: naming both cases and the people moving in.
    """
    live = (Case.objects.filter(status__in=list(LIVE_STATUSES))
            .exclude(status=CaseStatus.RECEIVED)
            .filter(Q(household_id=household.pk) | Q(applicant__in=moving_in))
            .order_by("pk"))
    for case in live:
        other = case.conflicting_cases().order_by("pk").first()
        if other is None:
            continue
        names = "、".join(f"{p.name}（{p.masked_id}）" for p in moving_in)
        first, second = sorted((case, other), key=lambda c: c.pk)
        raise HouseholdError(
            f"{names}迁入后，{first.get_kind_display()}案件{first.number}"
            f"（{first.get_status_display()}）与{second.get_kind_display()}案件{second.number}"
            f"（{second.get_status_display()}）将同时保障同一家庭的成员；低保与特困不能同时享受，"
            f"一户只能享受其一。请先办结（终止、撤回或不予批准）其中一件，再办理迁入。"
        )


def describe_change(change: PersonChange) -> list[str]:
    """A change record in Chinese, one "项目：原值 → 新值" per field; phone and ID numbers
    masked (the record itself is encrypted at rest)."""
    lines = []
    for name, (old, new) in sorted(change.changes.items()):
        try:
            label = str(Person._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # a field since removed from Person: names only
            lines.append(name)
            continue
        lines.append(f"{label}：{_display(name, old, stored=True)} → "
                     f"{_display(name, new, stored=True)}")
    return lines
