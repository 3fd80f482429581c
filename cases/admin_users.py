"""User admin with the places each user works in (S21): townships for window clerks,
verification officers and leaders, villages/communities for assistants.

Assignments are django-guardian object permissions, written through `cases.scoping`.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from guardian.shortcuts import get_objects_for_user

from accounts.names import person_name
from cases import scoping
from cases.models import Township, Village
from cases.permissions import WORK_IN_TOWNSHIP_PERM, WORK_IN_VILLAGE_PERM

User = get_user_model()


class PlacesUserChangeForm(UserChangeForm):
    townships = forms.ModelMultipleChoiceField(
        label="工作镇街", queryset=Township.objects.all(), required=False,
        widget=admin.widgets.FilteredSelectMultiple("镇街", is_stacked=False),
        help_text="窗口受理员、核对专员、镇街分管领导在这些镇街办理业务。")
    villages = forms.ModelMultipleChoiceField(
        label="协理村(社区)", queryset=Village.objects.select_related("township"),
        required=False, widget=admin.widgets.FilteredSelectMultiple("村(社区)", is_stacked=False),
        help_text="村(社区)协理员负责的村(社区)。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["townships"].initial = get_objects_for_user(
                self.instance, WORK_IN_TOWNSHIP_PERM, klass=Township, accept_global_perms=False,
                with_superuser=False)
            self.fields["villages"].initial = get_objects_for_user(
                self.instance, WORK_IN_VILLAGE_PERM, klass=Village, accept_global_perms=False,
                with_superuser=False)


def sync_places(user, townships, villages) -> None:
    """Make the user's township and village assignments exactly the given ones."""
    current_t = set(get_objects_for_user(user, WORK_IN_TOWNSHIP_PERM, klass=Township,
                                         accept_global_perms=False, with_superuser=False))
    current_v = set(get_objects_for_user(user, WORK_IN_VILLAGE_PERM, klass=Village,
                                         accept_global_perms=False, with_superuser=False))
    for township in set(townships) - current_t:
        scoping.assign_township(user, township)
    for township in current_t - set(townships):
        scoping.unassign_township(user, township)
    for village in set(villages) - current_v:
        scoping.assign_village(user, village)
    for village in current_v - set(villages):
        scoping.unassign_village(user, village)


admin.site.unregister(User)


@admin.register(User)
class PlacesUserAdmin(UserAdmin):
    form = PlacesUserChangeForm
    fieldsets = (*UserAdmin.fieldsets, ("工作范围", {"fields": ("townships", "villages")}))
    list_display = ["username", "name", "is_active", "is_staff"]

    @admin.display(description="姓名", ordering="last_name")
    def name(self, user) -> str:
        return person_name(user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if "townships" in form.cleaned_data:
            sync_places(form.instance, form.cleaned_data["townships"],
                        form.cleaned_data["villages"])
