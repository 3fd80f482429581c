"""The organisation: the official divisions, the development zone, renames and reassignments."""

from __future__ import annotations

import csv

import pytest

from cases import scoping
from cases.models import OrgChange, Township, TownshipKind, Village, VillageKind
from cases.org import (
    DIVISIONS_CSV,
    ZONE_CODE,
    ZONE_NAME,
    load_divisions,
    unit_rename,
    village_reassign,
)
from cases.permissions import Role
from tests.factories import HouseholdFactory, make_user

pytestmark = pytest.mark.django_db


def csv_rows(level: str) -> list[dict]:
    with DIVISIONS_CSV.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["level"] == level]


def reload() -> object:
    return load_divisions(Township, Village, OrgChange)


def test_eleven_statistical_units_and_the_zone_make_twelve_townships():
    assert Township.objects.count() == 12
    kinds = {kind: Township.objects.filter(kind=kind).count() for kind in TownshipKind.values}
    assert kinds == {TownshipKind.SUBDISTRICT: 4, TownshipKind.TOWN: 7, TownshipKind.ZONE: 1}
    statistical = set(Township.objects.exclude(kind=TownshipKind.ZONE)
                      .values_list("code", "name"))
    assert statistical == {(r["code"], r["name"]) for r in csv_rows("township")}
    assert Township.objects.get(code="371302001").name == "兰山街道"
    assert Township.objects.get(code="371302102").name == "枣园镇"
    assert Township.objects.get(code="371302004").name == "柳青街道"


def test_the_district_itself_is_not_a_township():
    assert not Township.objects.filter(code="371302").exists()


def test_the_development_zone_is_an_approving_unit_like_the_townships():
    """The zone approves like any 镇街; its villages are assigned by the district.

    clause: S1
    """
    zone = Township.objects.get(code=ZONE_CODE)
    assert zone.name == ZONE_NAME
    assert zone.kind == TownshipKind.ZONE
    assert zone.get_kind_display() == "经开区"
    assert zone.villages.count() == 0  # its territory is not published
    assert OrgChange.objects.filter(unit_code=ZONE_CODE, action="create").count() == 1


def test_all_359_villages_are_loaded():
    assert Village.objects.count() == 359
    assert Village.objects.count() == len(csv_rows("village"))


def test_every_village_is_under_the_township_of_its_code():
    """Each village belongs to exactly one approving unit: the one its code names.

    clause: S1
    """
    expected = {r["code"]: r["parent_code"] for r in csv_rows("village")}
    actual = dict(Village.objects.values_list("code", "township__code"))
    assert actual == expected
    assert all(code[:9] == parent for code, parent in actual.items())


def test_village_kinds_follow_the_committee_name():
    communities = Village.objects.filter(kind=VillageKind.COMMUNITY)
    assert communities.exists()
    assert all(v.name.endswith("居民委员会") for v in communities)
    assert all(not v.name.endswith("居民委员会")
               for v in Village.objects.filter(kind=VillageKind.VILLAGE))


def test_short_name_drops_the_committee_suffix(village_a):
    assert village_a.name.endswith("委员会")
    assert not village_a.short_name.endswith("委员会")
    assert village_a.name.startswith(village_a.short_name)


def test_rerunning_load_divisions_creates_nothing():
    changes = OrgChange.objects.count()
    result = reload()
    assert result.townships_created == 0
    assert result.villages_created == 0
    assert Township.objects.count() == 12
    assert Village.objects.count() == 359
    assert OrgChange.objects.count() == changes


def test_rerunning_load_divisions_keeps_renames_and_reassignments(township_a, township_b,
                                                                  village_a):
    unit_rename(unit=township_a, name="兰山街道（新）")
    village_reassign(village=village_a, township=township_b)
    reload()
    township_a.refresh_from_db()
    village_a.refresh_from_db()
    assert township_a.name == "兰山街道（新）"
    assert village_a.township == township_b


def test_load_divisions_restores_a_missing_village(township_a):
    victim = township_a.villages.order_by("code").last()
    code = victim.code
    victim.delete()
    result = reload()
    assert result.villages_created == 1
    assert Village.objects.get(code=code).township == township_a


def test_renaming_a_unit_keeps_the_old_name_in_the_history(township_a, village_a, bureau):
    old_township, old_village = township_a.name, village_a.name
    unit_rename(unit=township_a, name="兰山新街道", by=bureau, note="区划调整")
    unit_rename(unit=village_a, name="前十新社区居民委员会", by=bureau)
    township_a.refresh_from_db()
    assert township_a.name == "兰山新街道"
    assert township_a.code == "371302001"  # the code is for life
    change = OrgChange.objects.get(unit_code=township_a.code, action=OrgChange.Action.RENAME)
    assert (change.old_value, change.new_value) == (old_township, "兰山新街道")
    assert change.by == bureau
    assert change.note == "区划调整"
    village_change = OrgChange.objects.get(unit_code=village_a.code)
    assert village_change.old_value == old_village


def test_renaming_to_the_same_name_leaves_no_history(township_a):
    unit_rename(unit=township_a, name=township_a.name)
    assert not OrgChange.objects.filter(action=OrgChange.Action.RENAME).exists()


def test_reassigning_a_village_records_both_units(village_a, township_a, township_b, bureau):
    village_reassign(village=village_a, township=township_b, by=bureau, note="区政府决定")
    village_a.refresh_from_db()
    assert village_a.township == township_b
    change = OrgChange.objects.get(unit_code=village_a.code, action=OrgChange.Action.REASSIGN)
    assert change.old_value == "371302001 兰山街道"
    assert change.new_value == "371302102 枣园镇"
    assert change.by == bureau
    assert change.get_action_display() == "调整归属"


def test_reassigning_to_the_same_township_leaves_no_history(village_a, township_a):
    village_reassign(village=village_a, township=township_a)
    assert not OrgChange.objects.filter(action=OrgChange.Action.REASSIGN).exists()


@pytest.mark.clause("S1")
def test_a_village_given_to_the_zone_is_handled_by_the_zone_not_its_old_township(
    village_a, clerk_a,
):
    zone = Township.objects.get(code=ZONE_CODE)
    zone_clerk = make_user("clerk_zone", Role.CLERK, townships=[zone])
    household = HouseholdFactory(village=village_a)
    assert scoping.households_visible_to(clerk_a).filter(pk=household.pk).exists()

    village_reassign(village=village_a, township=zone)

    household.refresh_from_db()  # the household's stored township moved with the village
    assert household.township == zone
    assert scoping.households_visible_to(zone_clerk).filter(pk=household.pk).exists()
    assert not scoping.households_visible_to(clerk_a).filter(pk=household.pk).exists()


@pytest.mark.clause("S21")
def test_an_assistant_keeps_the_village_when_it_is_reassigned(village_a, township_b,
                                                             assistant_a):
    household = HouseholdFactory(village=village_a)
    village_reassign(village=village_a, township=township_b)
    assert list(scoping.villages_for(assistant_a)) == [village_a]
    assert scoping.can_edit_household(assistant_a, household)
