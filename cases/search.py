"""Values typed into the address bar: search terms and filters read from `request.GET`.

Every view that reads a query-string value on its way to a database filter (or a look-up log
row) reads it here, so hostile input is harmless in one place: control characters (NUL, which
PostgreSQL refuses in any text, and the rest of C0/C1) and lone surrogates are removed,
surrounding spaces stripped, the length bounded; an id is taken only as plain ASCII digits
within the range of a primary key (`int("²")` raises, and a 30-digit number overflows bigint).
"""

from __future__ import annotations

import re

from django.http import HttpRequest

MAX_TERM = 100  # characters kept of a search term; the longest real one is an address
MAX_ID = 2**63 - 1  # the largest primary key (bigint)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]{1,19}")


def clean_term(value: str | None, *, max_length: int = MAX_TERM) -> str:
    """`value` without control characters or lone surrogates, stripped and bounded."""
    return _UNSAFE.sub("", value or "").strip()[:max_length]


def term(request: HttpRequest, name: str = "q", *, max_length: int = MAX_TERM) -> str:
    """The query-string value `name`, cleaned (`clean_term`); '' when absent."""
    return clean_term(request.GET.get(name, ""), max_length=max_length)


def id_value(value: str | None) -> int | None:
    """A primary key typed as ASCII digits, or None for anything else (signs, other digits,
    numbers beyond bigint, zero)."""
    value = clean_term(value, max_length=40)
    if not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def id_param(request: HttpRequest, name: str) -> int | None:
    """The query-string value `name` as a primary key (`id_value`)."""
    return id_value(request.GET.get(name))


def id_tail(q: str) -> str | None:
    """`q` as the last six characters of an ID number (six digits, or five and an X/x;
    full-width forms and spaces as `idnumber.normalize` takes them), upper-cased; None for
    anything else — five or seven digits are no tail."""
    from cases.crypto import id_tail as canonical

    return canonical(q) if q else None


def people_with_id_tail(tail: str):
    """The people whose ID number ends with `tail` (a value of `id_tail`), found through the
    keyed tail hash (`Person.id_tail_hash`). Not scoped: the caller narrows the cases or
    households it reads from them to the user's places."""
    from cases.crypto import id_tail_hash
    from cases.models import Person

    return Person.objects.filter(id_tail_hash=id_tail_hash(tail, normalized=True))


def log_term(q: str, prefix: str = "检索") -> str:
    """The look-up log's note of a search term: an ID-number tail as the masked lists show the
    end of a number (its last four characters), anything else as typed, bounded (the log
    itself masks full ID and phone numbers); a whole ID number by its first six characters."""
    from cases import idnumber

    tail = id_tail(q)
    if tail:
        return f"{prefix}：身份证号码后六位 **{tail[-4:]}"
    if len(idnumber.normalize(q)) == 18:  # a whole ID number: its region code only
        return f"{prefix}：{q[:6]}…"
    return f"{prefix}：{q[:20]}"
