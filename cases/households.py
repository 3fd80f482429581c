"""Household services: create or change a household and its members in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases import idnumber
from cases.models import Household, Membership, Person, Relationship

PERSON_FIELDS = ("name", "phone", "hukou_type", "disability_grade", "disability_type",
                 "health", "labour_capacity", "occupation")


class HouseholdError(ValidationError):
    """A household change that breaks a rule (e.g. a person already in another household)."""


@transaction.atomic
def household_save(*, household: Household, members: list[dict], by=None) -> Household:
    """Save a household and make `members` its exact current membership.

    Args:
        household: a new or existing (unsaved changes allowed) household.
        members: cleaned member dicts (name, id_number, relationship and person fields).
        by: the acting user (kept for the trail once cases exist).

    Returns:
        The saved household. Nothing is written if any rule fails.
    """
    household.save()
    today = timezone.localdate()
    current = {m.person.id_number: m for m in
               household.memberships.filter(ended_on__isnull=True).select_related("person")}
    wanted_ids = set()
    head = None
    for data in members:
        number = idnumber.normalize(data["id_number"])
        wanted_ids.add(number)
        person = Person.objects.select_for_update().filter(id_number=number).first()
        if person is None:
            person = Person(id_number=number, birth_date=idnumber.birth_date_of(number),
                            gender=idnumber.gender_of(number))
        for field in PERSON_FIELDS:
            if field in data and data[field] is not None:
                setattr(person, field, data[field])
        person.full_clean(validate_unique=False)
        person.save()
        membership = current.get(number)
        if membership is None:
            other = Membership.objects.filter(person=person, ended_on__isnull=True).exclude(
                household=household).select_related("household__village").first()
            if other is not None:
                raise HouseholdError(
                    f"{person.name}（{person.masked_id}）已是{other.household.village.short_name}"
                    f"另一户的在册成员，请先在原户办理迁出。"
                )
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
    return household
