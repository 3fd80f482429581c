"""Resident identity card numbers (公民身份号码, GB 11643-1999).

Built from the parts of `stdnum.cn.ric` rather than its `validate()`: stdnum also checks that
the six-digit region code was in use in the person's *birth* year, but the code records where
the number was *issued*. Lanshan (371302) was created in 1994, and most of the district's
elderly hold 371302 numbers issued after that — exactly the people this system serves.
So: length, digits, check digit (incl. X), a real birth date that is not in the future, and a
region code that has existed at some time.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum import numdb
from stdnum.cn import ric

EARLIEST_BIRTH_YEAR = 1890
# ASCII digits only: str.isdigit() also accepts other Unicode digits that int() refuses.
_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


def normalize(value: str) -> str:
    """Strip spaces and separators and upper-case a trailing x.

    Full-width characters typed with a Chinese input method (３７１３０２…ｘ, the ideographic
    space) become their ASCII forms first (NFKC), so the same person is one number.
    """
    value = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in value if not ch.isspace() and ch not in "-").upper()


@lru_cache(maxsize=4096)
def _region_known(prefix: str) -> bool:
    results = numdb.get("cn/loc").info(prefix)
    info = {k: v for _part, props in results for k, v in props.items()}
    return "county" in info


def _birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    """Raise `ValidationError` with a Chinese message if `value` is not a valid ID number."""
    number = normalize(value)
    if len(number) != 18:
        raise ValidationError(
            "身份证号码应为18位，当前为%(n)d位。", code="id_length", params={"n": len(number)}
        )
    if not _FORMAT.fullmatch(number):
        raise ValidationError(
            "身份证号码前17位应为数字，末位为数字或X。", code="id_format"
        )
    born = _birth_date(number)
    if born is None or born.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(
            "身份证号码中的出生日期“%(d)s”不是真实日期。", code="id_birth_date",
            params={"d": number[6:14]},
        )
    if born > timezone.localdate():
        raise ValidationError(
            "身份证号码中的出生日期%(d)s晚于今天，请核对。", code="id_birth_future",
            params={"d": f"{born.year}年{born.month}月{born.day}日"},
        )
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(
            "身份证号码校验码不正确（末位应为%(c)s），请逐位核对。", code="id_checksum",
            params={"c": ric.calc_check_digit(number)},
        )
    if not _region_known(number[:6]):
        raise ValidationError(
            "身份证号码前6位“%(r)s”不是曾经使用过的行政区划代码。", code="id_region",
            params={"r": number[:6]},
        )


def birth_date_of(number: str) -> dt.date:
    """The birth date encoded in a valid number."""
    born = _birth_date(normalize(number))
    if born is None:
        raise ValueError("invalid birth date in ID number")
    return born


def gender_of(number: str) -> str:
    """'M' or 'F' from the order code's last digit (odd: male)."""
    return "M" if int(normalize(number)[16]) % 2 else "F"


def mask(number: str | None) -> str:
    """Masked form for lists and logs: 371302********123X → 3713**********123X style."""
    if not number:
        return ""
    number = normalize(number)
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_phone(phone: str | None) -> str:
    """138****5678."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_account(account: str | None) -> str:
    """A bank account number as pages show it: 6217 **** 0123 style (first and last four)."""
    if not account:
        return ""
    digits = "".join(str(account).split())
    if len(digits) <= 8:
        return "*" * max(len(digits) - 4, 0) + digits[-4:]
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"


def make_number(region: str, born: dt.date, order: int) -> str:
    """Compose a valid number from a region code, a birth date and a 3-digit order code.

    Used by the demo and test data generators; the check digit is computed, never guessed.
    """
    body = f"{region}{born:%Y%m%d}{order % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
