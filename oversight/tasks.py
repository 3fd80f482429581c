"""Celery task of the oversight app: refresh the dashboard's aggregates (thin, idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="oversight.refresh_dashboard", acks_late=True, reject_on_worker_lost=True)
def refresh_dashboard_task() -> dict:
    """Recompute the last 12 months of per-township figures."""
    from oversight.aggregates import refresh_dashboard

    result = vars(refresh_dashboard())
    warm_live_counts_task()
    return result


@shared_task(name="oversight.warm_live_counts", acks_late=True, reject_on_worker_lost=True,
             expires=55)
def warm_live_counts_task() -> dict:
    """Recompute the dashboard's open-case and clock counts for the next minute's requests."""
    from cases.models import Township
    from oversight.dashboard import live_counts

    ids = list(Township.objects.order_by("code").values_list("pk", flat=True))
    data = live_counts(ids, use_cache=False)
    return {"townships": len(ids), "open": sum(data["open"].values())}
