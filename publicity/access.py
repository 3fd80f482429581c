"""Who may see and do what in the publicity work; built on `cases.scoping` and
`cases.permissions`, so a user's places are decided in one place for the whole system."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from cases import scoping
from cases.permissions import Role, can_record_objection, can_review
from publicity.models import PublicityBatch

__all__ = [
    "batch_for_user",
    "batches_visible_to",
    "can_confirm_posting",
    "can_handle_objection",
    "can_record_appraisal",
    "can_record_objection",
]


def batches_visible_to(user) -> QuerySet[PublicityBatch]:
    """Batches of the villages the user may see (all of them for district staff)."""
    if scoping.sees_whole_district(user):
        return PublicityBatch.objects.all()
    village_ids = list(scoping.villages_for(user).values_list("pk", flat=True))
    return PublicityBatch.objects.filter(village_id__in=village_ids)


def batch_for_user(user, pk) -> PublicityBatch:
    """The batch if the user may see it; 404 otherwise — never a hint that it exists."""
    batch = batches_visible_to(user).select_related(
        "village", "township", "published_by", "confirmed_by").filter(pk=pk).first()
    if batch is None:
        raise Http404("未找到该公示批次，或您无权查看。")
    return batch


def can_confirm_posting(batch: PublicityBatch, user) -> bool:
    """The village's assistant, or the township's clerk or leader, confirms the posting."""
    if user is None:
        return False
    if (scoping.has_role(user, Role.ASSISTANT)
            and batch.village_id in scoping.assistant_village_ids(user)):
        return True
    return (scoping.has_role(user, Role.CLERK, Role.LEADER)
            and scoping.works_in_township(user, batch.township_id))


def can_handle_objection(case, user) -> bool:
    """How an objection was handled is written by the township (clerk or leader)."""
    return can_review(case, user)


def can_record_appraisal(case, user) -> bool:
    return can_review(case, user)
