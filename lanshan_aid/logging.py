"""Log filter that masks resident ID numbers and phone numbers in every log line.

Logs leave the database's access control: they are read by operators, shipped to collectors
and kept on disks nobody audits. So no log line may carry a full ID number or phone number,
whatever the code that wrote it (a query string in a request line, a form value in an
exception, a message a developer formatted by hand). The filter is attached to every handler in
`settings.LOGGING`; it rewrites the record's message, and the formatted exception and stack,
before any handler formats it.

The masks follow `cases.idnumber.mask` / `mask_phone` (3713**********123X, 138****5678), but
this module imports nothing of the project: logging is configured before the apps are loaded.
"""

from __future__ import annotations

import logging
import re

# A digit run is a candidate only when it is not part of a longer run of letters or digits
# (hashes, case numbers, timestamps); Chinese text and punctuation around it are fine.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"

# 18-digit resident ID numbers (last character may be X), and the old 15-digit ones.
ID_NUMBER = re.compile(_EDGE_BEFORE + r"(?:\d{17}[\dXx]|\d{15})" + _EDGE_AFTER)
# Mainland mobile numbers, optionally with +86 / 86 in front.
MOBILE = re.compile(_EDGE_BEFORE + r"((?:\+?86[- ]?)?1[3-9]\d)(\d{4})(\d{4})" + _EDGE_AFTER)
# Landlines with an area code and a separator: 0539-8123456, 010 12345678.
LANDLINE = re.compile(_EDGE_BEFORE + r"(0\d{2,3}[- ])(\d{3,4})(\d{4})" + _EDGE_AFTER)


def _mask_id(match: re.Match) -> str:
    number = match.group(0)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_personal_data(text: str) -> str:
    """The text with every ID number and phone number masked."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = ID_NUMBER.sub(_mask_id, text)
    text = MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return LANDLINE.sub(lambda m: f"{m.group(1)}{'*' * len(m.group(2))}{m.group(3)}", text)


class MaskPersonalDataFilter(logging.Filter):
    """Rewrite the record so that no handler can emit an ID number or a phone number.

    The message is merged with its arguments first (a number passed as an argument is masked
    too), and the exception and stack are formatted here and cached on the record, which is
    where `logging.Formatter` looks for them.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_personal_data_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg} {record.args!r}"
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        record._personal_data_masked = True
        return True
