"""Celery tasks of the exports: thin wrappers around `cases.exports`.

The worker must import this module: `cases.tasks` (found by autodiscovery) imports it, or
``CELERY_IMPORTS`` lists it.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cases.export_roster", acks_late=True, reject_on_worker_lost=True)
def export_roster_task(job_id: str) -> dict | None:
    """Make the workbook of one roster job; a rerun of a finished job changes nothing."""
    from cases.exports import run_roster_job

    return run_roster_job(job_id)


@shared_task(name="cases.purge_exports")
def purge_exports_task() -> int:
    """Delete export files older than a day (also done whenever a new export starts)."""
    from cases.exports import purge_old_jobs

    return purge_old_jobs()
