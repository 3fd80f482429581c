"""Document benchmarks: one-page notice render and a 30-document household archive export.

Self-contained: a scratch SQLite database and media folder in a temporary directory, the demo
data, then timings. Run: `.venv/bin/python bench/documents.py [--repeat 20]`.
Target (issue): one-page notice median < 200 ms on this 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="lanshan-bench-docs-"))
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "lanshan_aid.settings.base",
        "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite3'}",
        "VAR_DIR": str(scratch), "MEDIA_ROOT": str(scratch / "media"),
        "DEBUG": "true", "LOG_LEVEL": "WARNING",
    })
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115

    from cases.models import Case
    from documents.archive import archive_pdf
    from documents.context import build_context
    from documents.kinds import DocumentKind
    from documents.models import IssuedDocument
    from documents.render import render_pdf
    from documents.services import document_correct

    case = Case.objects.filter(accepted_at__isnull=False, kind="dibao").order_by("pk").first()
    ctx = build_context(DocumentKind.ACCEPTANCE, case=case, by=case.created_by)
    render_pdf(DocumentKind.ACCEPTANCE, ctx)  # first render loads fonts
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        render_pdf(DocumentKind.ACCEPTANCE, ctx)
        times.append((time.perf_counter() - started) * 1000)
    print(f"one-page notice render: median {statistics.median(times):.0f} ms, "
          f"p95 {sorted(times)[int(len(times) * 0.95) - 1]:.0f} ms over {args.repeat} renders")

    household = case.household
    doc = IssuedDocument.objects.filter(case=case).order_by("pk").first()
    while IssuedDocument.objects.filter(household=household).count() < 30:
        with transaction.atomic():
            Case.objects.select_for_update().get(pk=case.pk)
            doc = document_correct(document=doc, by=case.created_by, reason="基准测试更正")
    count = IssuedDocument.objects.filter(household=household).count()
    archive_times = []
    for _ in range(3):
        started = time.perf_counter()
        data = archive_pdf(household)
        archive_times.append((time.perf_counter() - started) * 1000)
    print(f"household archive export ({count} documents, {len(data) // 1024} KiB): "
          f"median {statistics.median(archive_times):.0f} ms over 3 exports")


if __name__ == "__main__":
    main()
