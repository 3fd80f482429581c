"""The hourly clean-up of files left by rolled-back issues."""

import datetime as dt
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from documents.tasks import sweep_orphan_files_task

pytestmark = pytest.mark.django_db


def test_an_old_unreferenced_pdf_is_removed_and_a_fresh_one_kept():
    old = default_storage.save("documents/371302001/2026/orphan-old.pdf", ContentFile(b"%PDF-1"))
    new = default_storage.save("documents/371302001/2026/orphan-new.pdf", ContentFile(b"%PDF-1"))
    past = (dt.datetime.now() - dt.timedelta(hours=3)).timestamp()
    os.utime(default_storage.path(old), (past, past))
    assert sweep_orphan_files_task.delay().get() == 1
    assert not default_storage.exists(old)
    assert default_storage.exists(new)
