"""`Household.township`, the copy of the village's township the household list and scope read:
set on every save that may change the village, moved with a reassigned village in the same
transaction, and filled from the villages by migration 0013."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import scoping
from cases.households import household_save
from cases.models import Household, OrgChange
from cases.org import village_reassign
from tests.cases.test_household_views import browser_form
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("cases.migrations.0013_household_township")


def stored_township_id(household) -> int:
    return Household.objects.values_list("township_id", flat=True).get(pk=household.pk)


def test_a_new_household_takes_its_villages_township(village_a, village_b):
    created = Household.objects.create(village=village_b, address="兰山区枣园镇1号",
                                       hukou_type="rural")
    assert stored_township_id(created) == village_b.township_id
    assert stored_township_id(HouseholdFactory(village=village_a)) == village_a.township_id


def test_the_township_is_read_from_the_village_row_not_from_a_stale_object(village_a,
                                                                         township_b):
    stale = type(village_a).objects.get(pk=village_a.pk)  # still says township A
    village_reassign(village=village_a, township=township_b)
    household = Household.objects.create(village=stale, address="兰山区1号", hukou_type="rural")
    assert stored_township_id(household) == township_b.pk


def test_moving_a_household_to_a_village_of_another_township_moves_its_township(
        village_a, village_b):
    household = HouseholdFactory(village=village_a)
    household.village = village_b
    household.save(update_fields=["village"])
    assert stored_township_id(household) == village_b.township_id
    household.village = village_a
    household.save()
    assert stored_township_id(household) == village_a.township_id


def test_a_save_of_other_fields_reads_no_village(household_a):
    household_a.note = "改了备注"
    with CaptureQueriesContext(connection) as captured:
        household_a.save(update_fields=["note"])
    assert not [q for q in captured.captured_queries if "cases_village" in q["sql"]]
    assert stored_township_id(household_a) == household_a.village.township_id


def test_the_household_service_moves_the_township_with_the_village(household_a, village_b):
    members = [{"name": m.person.name, "id_number": m.person.id_number,
                "relationship": m.relationship} for m in household_a.current_members()]
    household_a.village = village_b
    household_save(household=household_a, members=members)
    assert stored_township_id(household_a) == village_b.township_id


def test_the_edit_form_moves_a_household_to_another_township(client, clerk_ab, clerk_a,
                                                            clerk_b, household_a, village_b):
    client.force_login(clerk_ab)
    url = reverse("household_edit", args=[household_a.pk])
    data = browser_form(client.get(url))
    data["village"] = str(village_b.pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["formset"].errors
    assert stored_township_id(household_a) == village_b.township_id
    assert not scoping.households_visible_to(clerk_a).filter(pk=household_a.pk).exists()
    assert scoping.households_visible_to(clerk_b).filter(pk=household_a.pk).exists()


def test_a_reassigned_village_takes_its_households_along(village_a, village_a2, township_a,
                                                        township_b, clerk_a, clerk_b,
                                                        assistant_a):
    moving = [HouseholdFactory(village=village_a) for _ in range(3)]
    staying = HouseholdFactory(village=village_a2)
    village_reassign(village=village_a, township=township_b)
    assert {stored_township_id(h) for h in moving} == {township_b.pk}
    assert stored_township_id(staying) == township_a.pk
    ids = {h.pk for h in moving}
    assert set(scoping.households_visible_to(clerk_b).values_list("pk", flat=True)) == ids
    assert set(scoping.households_visible_to(clerk_a).values_list("pk", flat=True)) == {
        staying.pk}
    # The assistant keeps the village wherever it belongs.
    assert set(scoping.households_visible_to(assistant_a).values_list("pk", flat=True)) == ids


def test_a_failed_reassignment_leaves_the_households_where_they_were(village_a, township_a,
                                                                     township_b, monkeypatch):
    household = HouseholdFactory(village=village_a)

    def refuse(**kwargs):
        raise RuntimeError("the change log refused the row")

    monkeypatch.setattr(OrgChange.objects, "create", refuse)
    with pytest.raises(RuntimeError):
        village_reassign(village=village_a, township=township_b)
    village_a.refresh_from_db()
    assert village_a.township_id == township_a.pk
    assert stored_township_id(household) == township_a.pk


def test_the_migration_fills_every_household_from_its_village(village_a, village_b,
                                                              township_a, township_b):
    right = HouseholdFactory(village=village_a)
    wrong = [HouseholdFactory(village=village_a), HouseholdFactory(village=village_b)]
    Household.objects.filter(pk=wrong[0].pk).update(township=township_b)
    Household.objects.filter(pk=wrong[1].pk).update(township=township_a)
    assert migration.fill_household_township(connection) == 2
    assert stored_township_id(right) == township_a.pk
    assert [stored_township_id(h) for h in wrong] == [township_a.pk, township_b.pk]
    assert migration.fill_household_township(connection) == 0


def test_the_migration_adds_the_column_fills_it_and_only_then_makes_it_required():
    from django.db import migrations

    ops = migration.Migration.operations
    kinds = [type(op) for op in ops]
    assert kinds == [migrations.AddField, migrations.RunPython, migrations.AlterField,
                     migrations.AddIndex]
    assert ops[0].field.null and not ops[2].field.null
    assert ops[1].code is migration.forwards
    assert ops[3].index.fields == ["township", "-updated_at", "-id"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_household_saved_during_a_reassignment_waits_and_takes_the_new_township(
        village_a, township_b):
    """The reassignment holds the village row; a household saved into the village meanwhile
    reads the township only once the reassignment has committed."""
    import threading
    import time

    from django.db import connections, transaction

    reassigned, commit = threading.Event(), threading.Event()
    created: list[int] = []
    errors: list[BaseException] = []

    def reassign():
        try:
            with transaction.atomic():
                village_reassign(village=type(village_a).objects.get(pk=village_a.pk),
                                 township=township_b)
                reassigned.set()
                commit.wait(timeout=30)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def create():
        try:
            created.append(Household.objects.create(
                village_id=village_a.pk, address="兰山区2号", hukou_type="rural").pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=reassign)
    first.start()
    assert reassigned.wait(timeout=30)
    second = threading.Thread(target=create)
    second.start()
    deadline = time.monotonic() + 10
    waiting = False
    while time.monotonic() < deadline and not waiting:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            waiting = cursor.fetchone()[0] > 0
        time.sleep(0.05)
    commit.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not errors, errors
    assert waiting, "the household's save did not wait for the reassignment"
    assert Household.objects.get(pk=created[0]).township_id == township_b.pk
