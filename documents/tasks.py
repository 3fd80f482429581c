"""Celery tasks of the documents app (thin wrappers around the services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="documents.sweep_orphan_files", acks_late=True)
def sweep_orphan_files_task() -> int:
    """Delete stored PDFs left without a row by a rolled-back transaction (hourly)."""
    from documents.services import documents_sweep_orphans

    return len(documents_sweep_orphans())
