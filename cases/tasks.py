"""Celery tasks of the cases app: thin wrappers around `cases.sweep` and `cases.notifications`.

Scheduled by Celery beat from ``CELERY_BEAT_SCHEDULE`` (settings). They take no arguments and
are idempotent, so a duplicate message, a redelivery after a worker died (``acks_late``) or
two workers running the same task at once change nothing twice.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

logger = logging.getLogger("cases.tasks")


@shared_task(name="cases.sweep_deadlines", acks_late=True, reject_on_worker_lost=True)
def sweep_deadlines_task() -> dict:
    """Close ended publicity, mark clocks at risk / breached / escalated, write reminders;
    then send their e-mail and SMS copies."""
    from cases.sweep import sweep_deadlines

    result = sweep_deadlines()
    if result.reminders:
        deliver_notifications_task.delay()
    return vars(result)


@shared_task(name="cases.deliver_notifications", acks_late=True, reject_on_worker_lost=True)
def deliver_notifications_task() -> dict:
    """Send pending e-mail and SMS copies of reminders (each at most once)."""
    from cases.notifications import deliver_pending

    return vars(deliver_pending())


@worker_ready.connect
def _sweep_when_a_worker_starts(sender=None, **kwargs) -> None:  # noqa: ARG001
    """A worker that starts, e.g. after Redis or the worker was down, catches up at once."""
    if not getattr(settings, "DEADLINE_SWEEP_ON_WORKER_START", False):
        return
    try:
        sweep_deadlines_task.delay()
    except Exception:  # noqa: BLE001 - the beat schedule runs the sweep anyway
        logger.warning("启动时的时限巡检未能排队，将按计划执行。", exc_info=True)


@shared_task(name="cases.write_audit_checkpoint", acks_late=True, reject_on_worker_lost=True)
def write_audit_checkpoint_task() -> dict:
    """Write the daily signed checkpoint of every trail's head (outside the database)."""
    from cases.checkpoints import checkpoint_write

    return checkpoint_write()
