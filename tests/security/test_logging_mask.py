"""No log line carries a full ID number or phone number, whatever wrote it."""

from __future__ import annotations

import datetime as dt
import io
import logging
from contextlib import contextmanager

import pytest
from django.conf import settings

from cases import idnumber
from lanshan_aid.logging import MaskPersonalDataFilter, mask_personal_data

ID_NUMBER = idnumber.make_number("371302", dt.date(1956, 3, 8), 123)
PHONE = "13812345678"


def configured_handlers() -> list[logging.Handler]:
    """Every handler attached to a logger of this process, except pytest's own capture."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)]
    return [handler for logger in loggers for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest")
            and not isinstance(handler, logging.NullHandler)]  # emits nothing


@contextmanager
def captured(*handlers: logging.Handler):
    streams = []
    for handler in handlers:
        stream = io.StringIO()
        old = handler.setStream(stream)
        streams.append((handler, stream, old))
    try:
        yield lambda: "".join(stream.getvalue() for _, stream, _ in streams)
    finally:
        for handler, _, old in streams:
            handler.setStream(old)


def handler_named(name: str) -> logging.Handler:
    return next(h for h in configured_handlers() if h.get_name() == name)


def test_every_handler_in_logging_has_the_mask():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "mask_personal_data" in handler.get("filters", []), name


def test_every_handler_in_the_process_has_the_mask():
    handlers = configured_handlers()
    assert handlers, "the project's handlers are attached"
    for handler in handlers:
        assert any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters), handler


def test_a_real_log_line_shows_neither_the_id_number_nor_the_phone():
    logger = logging.getLogger("cases.services")
    with captured(handler_named("console")) as output:
        logger.warning("核对失败：身份证号 %s，联系电话 %s，座机0539-8123456", ID_NUMBER, PHONE)
        logger.warning(f"手工拼接的消息：{ID_NUMBER}/{PHONE}")
    text = output()
    assert ID_NUMBER not in text and PHONE not in text and "8123456" not in text
    assert idnumber.mask(ID_NUMBER) in text and "138****5678" in text
    assert "0539-***3456" in text
    assert text.count("cases.services") == 2


def test_an_exception_traceback_is_masked_too():
    logger = logging.getLogger("cases.views")
    with captured(handler_named("console")) as output:
        try:
            raise ValueError(f"无法保存 {ID_NUMBER} 的电话 +86 {PHONE}")
        except ValueError:
            logger.exception("保存失败")
    text = output()
    assert "Traceback" in text and "ValueError" in text
    assert ID_NUMBER not in text and PHONE not in text


def test_the_development_server_request_line_is_masked():
    logger = logging.getLogger("django.server")
    with captured(handler_named("django.server")) as output:
        logger.info('"%s" %s %s', f"GET /households/?q={ID_NUMBER}&tel={PHONE} HTTP/1.1",
                    "200", "1234", extra={"status_code": 200})
    text = output()
    assert "/households/?q=" in text and ID_NUMBER not in text and PHONE not in text


@pytest.mark.parametrize("text", [
    "371302001-2026-DB-00001",  # case number
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "12345678901234567890123",  # a long digit run is not an ID number
    "批次 1234567890123",  # 13 digits: neither an ID number nor a mobile number
    "2026-11-26 08:30:00,123",
    "金额 1380.00 元，编号 20260101",
])
def test_things_that_are_not_personal_data_are_left_alone(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize("raw,masked", [
    ("身份证37130219560308123X。", "身份证3713**********123X。"),
    ("旧证号 371302560308123", "旧证号 3713*******8123"),
    ("手机+8613812345678", "手机+86138****5678"),
    ("电话:15905391234,", "电话:159****1234,"),
])
def test_the_masks(raw, masked):
    assert mask_personal_data(raw) == masked
