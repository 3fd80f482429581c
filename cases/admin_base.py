"""Admin building blocks shared by the admin modules: read-only records and the look-up log.

An admin page that shows personal data writes the look-up log (`AccessLog`) as the staff pages
do, through the same function (`cases.audit_access.log_access`): one row per list (a search
with its masked term) and one per record opened. `shows_personal_data` is the rule for which
admins must (tests/security/test_admin_access_log.py walks the admin site with it).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR

from cases.audit_access import log_access
from cases.crypto import EncryptedMixin, KeyedHashField

# Models that are personal data in themselves: people, their households and their cases.
# An import's file is a batch of verification results about named people.
PERSONAL_MODELS = frozenset({"cases.person", "cases.household", "cases.case",
                             "cases.verificationimport"})
# Fields that hold a person's contact or identity in clear (encrypted ones are caught by type).
PERSONAL_FIELD_NAMES = frozenset({"mobile", "phone", "phone_number", "id_number",
                                  "submitter_name", "submitter_contact", "recipient"})


def holds_personal_data(model, depth: int = 2) -> bool:
    """A person's data is in `model`'s rows or one or two foreign keys away (a case's event,
    a document's delivery, a request's result)."""
    if model._meta.label_lower in PERSONAL_MODELS:
        return True
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedMixin | KeyedHashField):
            return True
        if field.name in PERSONAL_FIELD_NAMES:
            return True
        related = field.related_model if field.many_to_one or field.one_to_one else None
        if (depth and related is not None and related is not model
                and holds_personal_data(related, depth - 1)):
            return True
    return False


def shows_personal_data(model_admin: admin.ModelAdmin) -> bool:
    """Whether the admin's pages show personal data: its model's or an inline's."""
    models = [model_admin.model, *(inline.model for inline in model_admin.inlines)]
    return any(holds_personal_data(model) for model in models)


class AccessLoggedAdmin(admin.ModelAdmin):
    """Writes the look-up log for every list and every record shown (the pages' rule)."""

    def _object_type(self) -> str:
        return self.opts.model_name

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            term = request.GET.get(SEARCH_VAR, "").strip()
            if term:
                log_access(request, "search", self._object_type(),
                           detail=f"管理后台检索：{term[:40]}")
            else:
                log_access(request, "view", self._object_type(), detail="管理后台列表")
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if object_id is not None and response.status_code == 200:
            log_access(request, "view", self._object_type(), object_id, detail="管理后台")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        if request.method == "GET" and response.status_code == 200:
            log_access(request, "view", self._object_type(), object_id,
                       detail="管理后台删除确认")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            log_access(request, "view", self._object_type(), object_id,
                       detail="管理后台修改历史")
        return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only records: visible, never added, changed or deleted through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LoggedReadOnlyAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    """Append-only records that show personal data."""
