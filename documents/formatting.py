"""How dates and money are written on documents (pure functions; the template filters wrap them).

Values may arrive as Python objects or as the strings a frozen context holds (ISO dates,
decimal strings), so an issued document's stored context renders exactly as it did.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an
from django.utils import timezone

from cases import idnumber

CENT = Decimal("0.01")


def to_date(value) -> dt.date | None:
    """A date from a date, an aware datetime (in local time) or an ISO string; None if empty."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) == 7:  # "2026-12": a month
        return dt.date.fromisoformat(text + "-01")
    if len(text) > 10:
        return to_date(dt.datetime.fromisoformat(text))
    return dt.date.fromisoformat(text)


def cn_date(value) -> str:
    """2026年11月26日 (no leading zeros, as official documents write it)."""
    day = to_date(value)
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_month(value) -> str:
    """2026年12月."""
    day = to_date(value)
    if day is None:
        return ""
    return f"{day.year}年{day.month}月"


def to_money(value) -> Decimal | None:
    """A Decimal in yuan rounded to the fen (half up); None if empty."""
    if value in (None, ""):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(value) -> str:
    """Money in figures: 1,234.50元."""
    amount = to_money(value)
    if amount is None:
        return ""
    return f"{amount:,.2f}元"


def yuan_capital(value) -> str:
    """Money in Chinese capitals, as on a payment voucher: 壹仟贰佰叁拾肆元伍角整.

    cn2an writes the digits and units (壹仟零肆元, 壹拾元, 零伍分) and adds 整 only after 元.
    The convention for filling in amounts (中国人民银行《正确填写票据和结算凭证的基本规定》):
    整 follows an amount ending in 元 and may follow one ending in 角; none follows 分. We
    write it after 角 as well, so that nothing can be appended to the figure.
    """
    amount = to_money(value)
    if amount is None:
        return ""
    if amount < 0:
        raise ValueError("negative amounts are not written in capitals")
    if amount == 0:
        return "零元整"
    text = cn2an.an2cn(f"{amount:.2f}", "rmb")
    if text.endswith("角"):
        text += "整"
    if not text.endswith(("整", "分")):
        text += "整"
    return text


def mask_id(value) -> str:
    """A masked ID number (3713**********123X) where the full one is not needed."""
    return idnumber.mask(value or "")
