"""The admin's pages of personal data write the look-up log, as the staff pages do.

`cases.admin_base.shows_personal_data` says which admins show personal data (a person, a
household or a case, an encrypted field, a contact field, one or two foreign keys away, or in
an inline); each of them must be an `AccessLoggedAdmin`. The walk below fails for a new admin
of personal data that does not log, and every such admin's list and record pages are opened to
see the rows written.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from cases.admin_base import AccessLoggedAdmin, shows_personal_data
from cases.models import AccessLog, Household, Person

pytestmark = pytest.mark.django_db


def unlogged(site) -> list[str]:
    return sorted(model._meta.label for model, model_admin in site._registry.items()
                  if shows_personal_data(model_admin)
                  and not isinstance(model_admin, AccessLoggedAdmin))


def personal_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if shows_personal_data(model_admin)]


def test_every_admin_of_personal_data_writes_the_access_log():
    assert unlogged(admin.site) == []


def test_a_new_admin_of_personal_data_without_the_log_is_caught():
    site = admin.AdminSite(name="probe")
    site.register(Person, admin.ModelAdmin)
    site.register(Household, AccessLoggedAdmin)
    assert unlogged(site) == ["cases.Person"]


def test_the_rule_knows_the_people_households_and_verification_data():
    labels = {model._meta.label for model, _ in personal_admins()}
    assert {"cases.Person", "cases.Household", "cases.Case", "cases.PersonChange",
            "cases.AccountChange", "cases.StaffRelative", "cases.HomeVisit",
            "cases.VerificationRequest", "cases.VerificationResult",
            "cases.VerificationReport", "cases.VerificationAuthorization",
            "cases.VerificationImport", "cases.Assessment", "documents.IssuedDocument",
            "documents.Delivery", "documents.PhoneNotification", "publicity.ObjectionDetail",
            "oversight.SpotCheck"} <= labels
    # Configuration and the administrators' own logs are not personal data of residents.
    assert not {"cases.Standard", "cases.Township", "cases.HolidayOverride",
                "cases.AccessLog", "accounts.SecurityEvent"} & labels


def _rows(user, object_type, **filters):
    return AccessLog.objects.filter(user=user, object_type=object_type, **filters)


def test_each_personal_data_admin_logs_its_list_and_its_records(client, world):
    superuser = world.user("superuser")
    client.force_login(superuser)
    opened = set()
    for model, model_admin in personal_admins():
        name = model._meta.model_name
        prefix = f"admin:{model._meta.app_label}_{name}"
        before = _rows(superuser, name).count()
        response = client.get(reverse(f"{prefix}_changelist"))
        assert response.status_code == 200, model
        assert _rows(superuser, name, action="view", object_id="",
                     detail="管理后台列表").count() == before + 1, model
        obj = model_admin.get_queryset(response.wsgi_request).order_by("pk").first()
        if obj is None:
            continue
        response = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
        assert response.status_code == 200, model
        assert _rows(superuser, name, action="view", object_id=str(obj.pk),
                     detail="管理后台").exists(), model
        opened.add(model._meta.label)
    assert {"cases.Person", "cases.Household", "cases.Case", "cases.VerificationRequest",
            "cases.HomeVisit", "documents.IssuedDocument"} <= opened


def test_the_bureau_opening_a_person_in_the_admin_is_logged(client, bureau, household_a):
    person = household_a.head
    bureau.is_staff = True
    bureau.save()
    client.force_login(bureau)
    page = client.get(reverse("admin:cases_person_change", args=[person.pk]))
    assert page.status_code == 200 and person.id_number in page.content.decode()
    row = AccessLog.objects.get(user=bureau, object_type="person")
    assert (row.action, row.object_id, row.detail) == ("view", str(person.pk), "管理后台")
    household = client.get(reverse("admin:cases_household_change", args=[household_a.pk]))
    assert household.status_code == 200
    assert _rows(bureau, "household", object_id=str(household_a.pk)).exists()


def test_an_admin_search_is_logged_with_the_term_masked(client, bureau, household_a):
    bureau.is_staff = True
    bureau.save()
    client.force_login(bureau)
    number = household_a.head.id_number
    response = client.get(reverse("admin:cases_person_changelist"), {"q": number})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    row = AccessLog.objects.get(user=bureau, object_type="person", action="search")
    assert row.detail.startswith("管理后台检索：") and number not in row.detail


def test_a_refused_admin_page_writes_no_row(client, django_user_model, household_a):
    staff = django_user_model.objects.create_user("staff_only", is_staff=True)
    client.force_login(staff)  # staff, but no permission on people
    for url in (reverse("admin:cases_person_change", args=[household_a.head.pk]),
                reverse("admin:cases_person_changelist")):
        assert client.get(url).status_code == 403
    assert not AccessLog.objects.filter(user=staff).exists()


def test_the_person_list_shows_masked_id_numbers(client, superuser, household_a):
    client.force_login(superuser)
    page = client.get(reverse("admin:cases_person_changelist")).content.decode()
    assert household_a.head.id_number not in page
    assert household_a.head.masked_id in page


def test_a_records_history_and_delete_confirmation_are_logged(client, superuser, household_a):
    person = household_a.head
    client.force_login(superuser)
    for view, detail in (("history", "管理后台修改历史"), ("delete", "管理后台删除确认")):
        page = client.get(reverse(f"admin:cases_person_{view}", args=[person.pk]))
        assert page.status_code == 200, view
        assert _rows(superuser, "person", object_id=str(person.pk), detail=detail).count() == 1
    assert Person.objects.filter(pk=person.pk).exists()
