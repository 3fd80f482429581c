#!/usr/bin/env python
"""Mutation testing of the rule core with mutmut 3 (`make mutate`; not part of CI).

For each selected group of scripts/mutation_groups.toml:

1. copy the git-tracked files of the work tree (as they are on disk) to var/mutation/<group>/
   and append that copy's [tool.mutmut] section;
2. drop the group's own PostgreSQL test database, so that a database left by an older run or
   another branch cannot break this one (mutmut's first test run creates and migrates it, every
   mutant after that reuses it: `--reuse-db`; SQLite would rebuild it for every mutant);
3. run `mutmut run --max-children N` in the copy;
4. read `mutmut results --all true` and print, per module: mutants, killed, timeout, survived,
   other (no tests, suspicious, not checked), accepted equivalents (scripts/
   mutation_equivalents.toml) and the kill rate of the non-equivalent mutants,
   (killed + timeout) / (mutants - equivalent). Timeouts count as killed, as mutmut counts them.

Exits non-zero when a module is below the threshold (90%) or mutmut fails.

    python scripts/mutate.py                      # every group
    python scripts/mutate.py --groups "calendar remedies"
    python scripts/mutate.py --groups calendar --resume   # continue an interrupted run
    python scripts/mutate.py --report-only        # re-read the results of the last runs

DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) names the server; each
group uses the database `<name>_mut_<group>` on it (its tests use `test_<name>_mut_<group>`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
GROUPS_FILE = ROOT / "scripts" / "mutation_groups.toml"
EQUIVALENTS_FILE = ROOT / "scripts" / "mutation_equivalents.toml"
WORK_DIR = ROOT / "var" / "mutation"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

KILLED = {"killed", "caught by type check"}
TIMEOUT = {"timeout"}
SURVIVED = {"survived"}
RESULT_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+?)\s*$")


@dataclass
class ModuleFigures:
    module: str
    total: int = 0
    killed: int = 0
    timeout: int = 0
    survived: int = 0
    other: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)
    stale_equivalents: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        considered = self.total - self.equivalent
        return 100.0 if considered <= 0 else 100.0 * (self.killed + self.timeout) / considered


def load_groups() -> tuple[dict, dict[str, dict]]:
    data = tomllib.loads(GROUPS_FILE.read_text("utf-8"))
    return data.get("defaults", {}), data["groups"]


def load_equivalents() -> dict[str, dict[str, str]]:
    if not EQUIVALENTS_FILE.exists():
        return {}
    return tomllib.loads(EQUIVALENTS_FILE.read_text("utf-8"))


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                           for v in values) + "]"


def mutmut_section(defaults: dict, group: dict) -> str:
    timeout = group.get("timeout_constant", defaults.get("timeout_constant", 30.0))
    lines = [
        "",
        "[tool.mutmut]",
        f"source_paths = {toml_list(group['source_paths'])}",
        f"only_mutate = {toml_list(group['only_mutate'])}",
        f"also_copy = {toml_list(group.get('also_copy', defaults.get('also_copy', [])))}",
        f"pytest_add_cli_args_test_selection = {toml_list(group['tests'])}",
        "pytest_add_cli_args = "
        + toml_list(group.get("pytest_add_cli_args", defaults.get("pytest_add_cli_args", []))),
        f"timeout_constant = {float(timeout)}",
    ]
    return "\n".join(lines) + "\n"


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,  # noqa: S603, S607
                         capture_output=True).stdout.decode()
    return [p for p in out.split("\0") if p and (ROOT / p).is_file()]


def make_copy(name: str, defaults: dict, group: dict) -> Path:
    dest = WORK_DIR / name
    if dest.exists():
        shutil.rmtree(dest)
    for rel in tracked_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    pyproject = dest / "pyproject.toml"
    if "[tool.mutmut]" in pyproject.read_text("utf-8"):
        raise SystemExit("pyproject.toml already has a [tool.mutmut] section: remove it; the "
                         "groups live in scripts/mutation_groups.toml.")
    with pyproject.open("a", encoding="utf-8") as f:
        f.write(mutmut_section(defaults, group))
    return dest


def group_database_url(name: str) -> str:
    base = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if not base.scheme.startswith("postgres"):
        raise SystemExit("make mutate needs PostgreSQL: set DATABASE_URL=postgresql://...")
    db = (base.path.lstrip("/") or "postgres") + f"_mut_{name}"
    return urlunsplit((base.scheme, base.netloc, "/" + db, base.query, base.fragment))


def reset_test_database(url: str) -> None:
    """Create the group's database if missing and drop its test databases (stale or not)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    db = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, parts.fragment))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        # Its test database, and the test_test_... ones that a test which itself creates a test
        # database (Django's test runner run under mutmut) leaves behind.
        stale = conn.execute(
            "SELECT datname FROM pg_database WHERE datname ~ %s",
            [r"^(test_)+" + re.escape(db) + "$"]).fetchall()
        for (name,) in stale:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


def mutmut(args: list[str], cwd: Path, env: dict, log: Path | None = None):
    cmd = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)  # noqa: S603
    with log.open("w") as f:
        return subprocess.run(cmd, cwd=cwd, env=env, stdout=f,  # noqa: S603
                              stderr=subprocess.STDOUT)


def module_of(mutant: str, modules: list[str]) -> str:
    for module in sorted(modules, key=len, reverse=True):
        if mutant.startswith(module + "."):
            return module
    match = re.match(r"^(.+?)\.x[_\u01c1]", mutant)
    return match.group(1) if match else mutant.rsplit(".", 1)[0]


def modules_of(group: dict) -> list[str]:
    return [p.removesuffix(".py").replace("/", ".") for p in group["only_mutate"]
            if p.endswith(".py")]


def figures(name: str, group: dict, cwd: Path, env: dict,
            equivalents: dict[str, str]) -> list[ModuleFigures]:
    done = mutmut(["results", "--all", "true"], cwd, env)
    if done.returncode != 0:
        raise SystemExit(f"mutmut results failed in {cwd}:\n{done.stdout}{done.stderr}")
    modules = modules_of(group)
    by_module = {m: ModuleFigures(m) for m in modules}
    for line in done.stdout.splitlines():
        match = RESULT_LINE.match(line)
        if not match:
            continue
        mutant, status = match["name"], match["status"]
        module = module_of(mutant, modules)
        fig = by_module.setdefault(module, ModuleFigures(module))
        fig.total += 1
        if status in KILLED:
            fig.killed += 1
            if mutant in equivalents:
                fig.stale_equivalents.append(mutant)
        elif status in TIMEOUT:
            fig.timeout += 1
        elif mutant in equivalents:
            fig.equivalent += 1
        elif status in SURVIVED:
            fig.survived += 1
            fig.survivors.append(mutant)
        else:
            fig.other += 1
            fig.survivors.append(f"{mutant} ({status})")
    return list(by_module.values())


def print_table(rows: list[tuple[str, ModuleFigures]], threshold: float) -> None:
    head = ("group", "module", "mutants", "killed", "timeout", "survived", "other",
            "equivalent", "kill rate")
    table = [head] + [
        (g, f.module, str(f.total), str(f.killed), str(f.timeout), str(f.survived),
         str(f.other), str(f.equivalent),
         f"{f.rate:.1f}%" + ("" if f.rate >= threshold else f"  < {threshold:g}%"))
        for g, f in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) if j < 8 else c
                        for j, (c, w) in enumerate(zip(r, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    defaults, groups = load_groups()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", default="",
                        help=f"space-separated groups (default all: {' '.join(groups)})")
    parser.add_argument("--resume", action="store_true",
                        help="keep var/mutation/<group> and its test database; mutmut "
                             "continues with the mutants not yet checked")
    parser.add_argument("--report-only", action="store_true",
                        help="only read the results of the last run of each group")
    args = parser.parse_args(argv)

    selected = args.groups.split() or list(groups)
    unknown = [g for g in selected if g not in groups]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(groups)}")
    threshold = float(defaults.get("threshold", 90.0))
    max_children = str(defaults.get("max_children", 1))
    equivalents = load_equivalents()

    rows: list[tuple[str, ModuleFigures]] = []
    failed: list[str] = []
    timings: list[tuple[str, float]] = []
    for name in selected:
        group = groups[name]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["DATABASE_URL"] = group_database_url(name)
        cwd = WORK_DIR / name
        if not args.report_only:
            started = time.monotonic()
            if not (args.resume and (cwd / "mutants").exists()):
                make_copy(name, defaults, group)
                reset_test_database(env["DATABASE_URL"])
            log = cwd / "mutmut-run.log"
            print(f"[{name}] mutmut run in {cwd.relative_to(ROOT)} (log: "
                  f"{log.relative_to(ROOT)}) ...", flush=True)
            done = mutmut(["run", "--max-children", max_children], cwd, env, log)
            elapsed = time.monotonic() - started
            timings.append((name, elapsed))
            print(f"[{name}] finished in {elapsed / 60:.1f} min (exit {done.returncode})",
                  flush=True)
            if done.returncode != 0:
                failed.append(f"{name}: mutmut run exited {done.returncode}, see {log}")
                continue
        elif not (cwd / "mutants").exists():
            failed.append(f"{name}: no results in {cwd.relative_to(ROOT)}; run it first")
            continue
        group_figures = figures(name, group, cwd, env, equivalents.get(name, {}))
        (cwd / "survivors.txt").write_text(
            "".join(s + "\n" for f in group_figures for s in f.survivors), "utf-8")
        for fig in group_figures:
            rows.append((name, fig))
            for mutant in fig.stale_equivalents:
                print(f"[{name}] {mutant} is listed as equivalent but was killed: drop it "
                      f"from {EQUIVALENTS_FILE.relative_to(ROOT)}")

    if rows:
        print()
        print_table(rows, threshold)
        survivors = sum(len(f.survivors) for _g, f in rows)
        if survivors:
            print(f"\n{survivors} non-equivalent survivor(s): var/mutation/<group>/survivors.txt; "
                  "`mutmut show <name>` in var/mutation/<group>/ shows one.")
    if timings:
        print("\n" + "; ".join(f"{g}: {s / 60:.1f} min" for g, s in timings)
              + f"; total {sum(s for _g, s in timings) / 60:.1f} min")
    low = [f"{g}/{f.module}: {f.rate:.1f}%" for g, f in rows if f.rate < threshold]
    for line in failed:
        print("FAILED " + line, file=sys.stderr)
    if low:
        print(f"Below {threshold:g}%: " + ", ".join(low), file=sys.stderr)
    return 1 if failed or low else 0


if __name__ == "__main__":
    sys.exit(main())
