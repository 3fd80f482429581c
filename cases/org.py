"""Services for the organisation: loading the official divisions, renames and reassignments."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

DIVISIONS_CSV = Path(__file__).resolve().parent / "data" / "lanshan-divisions.csv"

# 兰山经开区 is an approving unit (SEED) but not a statistical unit: it has no NBS code, so it
# carries a project code that can never collide with a 9-digit statistical one. Its villages are
# assigned by the district in the admin (its territory is not published).
ZONE_CODE = "371302-JKQ"
ZONE_NAME = "兰山经开区"


@dataclass
class LoadResult:
    townships_created: int = 0
    villages_created: int = 0
    unchanged: int = 0


def _township_kind(name: str) -> str:
    return "subdistrict" if name.endswith("街道") else "town"


def _village_kind(name: str) -> str:
    return "community" if name.endswith("居民委员会") else "village"


def load_divisions(township_model, village_model, change_model=None,
                   path: Path = DIVISIONS_CSV) -> LoadResult:
    """Create every missing township and village from the official division table.

    Idempotent: existing units (matched by code) are left exactly as they are, so renames and
    reassignments made later in the admin survive a re-run. Models are passed in so that the
    data migration can call this with its historical models.
    """
    result = LoadResult()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with transaction.atomic():
        townships = {t.code: t for t in township_model.objects.all()}
        for row in rows:
            if row["level"] != "township":
                continue
            if row["code"] in townships:
                result.unchanged += 1
                continue
            townships[row["code"]] = township_model.objects.create(
                code=row["code"], name=row["name"], kind=_township_kind(row["name"]),
            )
            result.townships_created += 1
            if change_model is not None:
                change_model.objects.create(
                    unit_code=row["code"], action="create", new_value=row["name"],
                    note="据国家统计局统计用区划代码(2022)导入",
                )
        if ZONE_CODE not in townships:
            township_model.objects.create(code=ZONE_CODE, name=ZONE_NAME, kind="zone")
            result.townships_created += 1
            if change_model is not None:
                change_model.objects.create(
                    unit_code=ZONE_CODE, action="create", new_value=ZONE_NAME,
                    note="审批单位（临兰政办字〔2019〕42号），非统计用区划，所辖村(社区)由区里指定",
                )
        existing = set(village_model.objects.values_list("code", flat=True))
        new_villages = [
            village_model(
                code=row["code"], name=row["name"], kind=_village_kind(row["name"]),
                township=townships[row["parent_code"]],
            )
            for row in rows
            if row["level"] == "village" and row["code"] not in existing
        ]
        village_model.objects.bulk_create(new_villages)
        result.villages_created = len(new_villages)
        result.unchanged += len(existing)
    return result


def village_reassign(*, village, township, by=None, note: str = "") -> None:
    """Move a village to another township-level unit, keeping the change on record.

    The village's households move with it (`Household.township`, a copy of the village's) in
    the same transaction. The village row is locked first: a household being saved into the
    village at the same time reads its township under the same lock (`Household.save`), so
    none is left behind with the old township.
    """
    from cases.models import Household, OrgChange, Township, Village

    with transaction.atomic():
        old_id = (Village.objects.select_for_update().filter(pk=village.pk)
                  .values_list("township_id", flat=True).get())
        if old_id == township.pk:
            return
        old = Township.objects.get(pk=old_id)
        village.township = township
        village.save(update_fields=["township"])
        Household.objects.filter(village_id=village.pk).update(township=township)
        OrgChange.objects.create(
            unit_code=village.code, action=OrgChange.Action.REASSIGN,
            old_value=f"{old.code} {old.name}", new_value=f"{township.code} {township.name}",
            note=note, by=by,
        )


def unit_rename(*, unit, name: str, by=None, note: str = "") -> None:
    """Rename a township or village; the old name stays in the change log."""
    from cases.models import OrgChange

    with transaction.atomic():
        old = unit.name
        if old == name:
            return
        unit.name = name
        unit.save(update_fields=["name"])
        OrgChange.objects.create(
            unit_code=unit.code, action=OrgChange.Action.RENAME, old_value=old, new_value=name,
            note=note, by=by,
        )
