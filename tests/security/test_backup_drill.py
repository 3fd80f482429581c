"""The backup drill: back up, wipe, restore; the audit verifies and every count matches.

Runs scripts/backup and scripts/restore as an operator would, against scratch databases it
creates and drops itself on the PostgreSQL server of DATABASE_URL. Only on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
SERVER_URL = os.environ.get("DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not SERVER_URL.startswith(("postgres://", "postgresql://")),
                       reason="the drill needs DATABASE_URL pointing at PostgreSQL"),
    pytest.mark.skipif(not all(shutil.which(t) for t in ("pg_dump", "pg_restore", "psql",
                                                         "createdb", "dropdb")),
                       reason="the PostgreSQL client tools are not installed"),
]


def server() -> dict[str, str]:
    parts = urlsplit(SERVER_URL)
    return {"host": parts.hostname or "127.0.0.1", "port": str(parts.port or 5432),
            "user": parts.username or "postgres", "password": parts.password or ""}


def database_url(name: str) -> str:
    s = server()
    auth = s["user"] + (f":{s['password']}" if s["password"] else "")
    return f"postgresql://{auth}@{s['host']}:{s['port']}/{name}"


def pg(tool: str, *args: str) -> None:
    s = server()
    env = {**os.environ, "PGPASSWORD": s["password"]}
    subprocess.run([tool, "-h", s["host"], "-p", s["port"], "-U", s["user"], *args],
                   check=True, env=env, capture_output=True, timeout=120)


def run(args: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=BASE, env=env, capture_output=True, text=True,
                            timeout=timeout)
    return result


def counts(url: str) -> dict[str, int]:
    query = ("SELECT table_name, (xpath('/row/c/text()', query_to_xml(format("
             "'SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))"
             "[1]::text::bigint FROM information_schema.tables "
             "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
    out = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", query], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return {name: int(n) for name, n in (line.split("\t") for line in out.splitlines())}


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def scratch(tmp_path):
    name = f"lanshan_drill_{os.getpid()}"
    pg("dropdb", "--if-exists", name)
    pg("createdb", name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "lanshan_aid.settings.base",
        "DEBUG": "true",  # the demo data refuses to load into a production configuration
        "DATABASE_URL": database_url(name),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "VAR_DIR": str(tmp_path / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "REDIS_URL": "",
        "PGPASSWORD": server()["password"],
    })
    yield name, env, tmp_path
    pg("dropdb", "--if-exists", name)


def test_backup_wipe_restore_then_audit_and_counts_match(scratch):
    name, env, tmp = scratch
    url, media = env["DATABASE_URL"], Path(env["MEDIA_ROOT"])
    py = sys.executable

    # A populated system: demo households, cases in every state with issued PDFs, and
    # entries in the sign-in and look-up logs.
    for step in (["manage.py", "migrate", "--noinput"], ["manage.py", "seed_demo"]):
        result = run([py, *step], env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    logs = ("from accounts.services import record_event; from cases.models import AccessLog;"
            "from django.contrib.auth import get_user_model as g; u = g().objects.first();"
            "record_event('login', user=u); record_event('login_failed', username='ghost');"
            "AccessLog.objects.create(user=u, action='view', object_type='household',"
            " object_id='1')")
    assert run([py, "manage.py", "shell", "-c", logs], env).returncode == 0
    verified = run([py, "manage.py", "verify_audit"], env)
    assert verified.returncode == 0, verified.stderr
    before_counts, before_files = counts(url), files(media)
    assert before_counts["cases_caseevent"] > 0 and before_counts["accounts_securityevent"] >= 2
    assert any(path.endswith(".pdf") for path in before_files)

    # Back up.
    backup = run(["scripts/backup", str(tmp / "backups")], env)
    assert backup.returncode == 0, backup.stderr
    folder = Path(backup.stdout.strip().splitlines()[-1])
    assert {p.name for p in folder.iterdir()} == {"db.dump", "media.tar.gz", "counts.tsv",
                                                  "manifest.txt", "SHA256SUMS"}
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    manifest = (folder / "manifest.txt").read_text()
    assert f"/{name}" in manifest and "media_files=" in manifest
    assert not server()["password"] or server()["password"] not in manifest

    # Wipe: the database and every uploaded or issued file are gone.
    pg("dropdb", name)
    shutil.rmtree(media)
    pg("createdb", name)

    # A damaged backup is refused before anything is touched.
    damaged = tmp / "damaged"
    shutil.copytree(folder, damaged)
    with (damaged / "db.dump").open("r+b") as dump:
        dump.seek(200)
        byte = dump.read(1)
        dump.seek(200)
        dump.write(bytes([byte[0] ^ 0xFF]))
    refused = run(["scripts/restore", str(damaged)], env)
    assert refused.returncode == 1 and "damaged" in refused.stderr
    assert counts(url) == {}

    # Restore: verify_audit runs inside and must pass; then everything is as before.
    restored = run(["scripts/restore", str(folder)], env)
    assert restored.returncode == 0, restored.stdout[-2000:] + restored.stderr[-4000:]
    assert "tables match the backup" in restored.stderr
    assert "校验通过" in restored.stdout
    assert counts(url) == before_counts
    assert files(media) == before_files
    assert run([py, "manage.py", "verify_audit"], env).returncode == 0

    # A restore over a live system needs --force, and keeps the replaced files aside.
    again = run(["scripts/restore", str(folder)], env)
    assert again.returncode == 1 and "--force" in again.stderr
    forced = run(["scripts/restore", "--force", "--no-verify", str(folder)], env)
    assert forced.returncode == 0, forced.stderr
    assert list(tmp.glob("media.replaced-*"))
    assert counts(url) == before_counts

    # The files are half of the backup: without them the issued documents fail the audit.
    no_files = tmp / "no-files"
    shutil.copytree(folder, no_files)
    (tmp / "empty").mkdir()
    subprocess.run(["tar", "-czf", str(no_files / "media.tar.gz"), "-C", str(tmp / "empty"),
                    "."], check=True)
    sums = subprocess.run(["sha256sum", "db.dump", "media.tar.gz", "counts.tsv"], cwd=no_files,
                          check=True, capture_output=True, text=True).stdout
    (no_files / "SHA256SUMS").write_text(sums)
    incomplete = run(["scripts/restore", "--force", str(no_files)], env)
    assert incomplete.returncode != 0 and "文件缺失" in incomplete.stderr

