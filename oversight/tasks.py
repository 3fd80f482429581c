"""Celery task of the oversight app: refresh the dashboard's aggregates (thin, idempotent)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="oversight.refresh_dashboard", acks_late=True, reject_on_worker_lost=True)
def refresh_dashboard_task() -> dict:
    """Recompute the last 12 months of per-township figures."""
    from oversight.aggregates import refresh_dashboard

    return vars(refresh_dashboard())
