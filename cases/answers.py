"""Yes/no questions about a case that a page has answered already.

Many questions a case page asks are whether some rows exist: is an adult member without a
verification authorization, has a verification report been recorded, did anyone object during
publicity, is somebody in the household a declared relative of staff … A page reads all of them
in one statement (`annotations`, added to the statement that reads the household's people) and
keeps the answers on its case object (`remember`). The workflow's rules (`cases.rules`) and
the relatives' flags ask `exists()`, which reads the database only when the page has not
answered. A service locks and re-reads its case (a new object), so it always checks what it
reads inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.db.models import Exists, QuerySet

_ATTR = "_answers"
_PREFIX = "answer__"


def known(case, name: str) -> bool | None:
    """The page's answer to `name`, or None if it has not read one."""
    return getattr(case, _ATTR, {}).get(name)


def exists(case, name: str, rows: Callable[[], QuerySet]) -> bool:
    """Whether `rows()` has a row: the page's answer to `name` if it read one."""
    answer = known(case, name)
    return rows().exists() if answer is None else answer


def annotations(questions: Mapping[str, QuerySet]) -> dict[str, Exists]:
    """The questions as `Exists` annotations of one statement (see `remember`)."""
    return {f"{_PREFIX}{name}": Exists(rows) for name, rows in questions.items()}


def remember(case, row: object) -> None:
    """Keep on `case` the answers found on `row` (an object or a `values()` row read with
    `annotations`)."""
    values = row if isinstance(row, Mapping) else vars(row)
    found = {name.removeprefix(_PREFIX): bool(value) for name, value in values.items()
             if name.startswith(_PREFIX)}
    setattr(case, _ATTR, {**getattr(case, _ATTR, {}), **found})


def forget(case) -> None:
    """Drop the answers kept on `case` (after something the page did changed them)."""
    if hasattr(case, _ATTR):
        delattr(case, _ATTR)
