"""Request-level protections: bounded uploads of allowed file types, and the error pages.

- `UploadPolicyMiddleware` refuses a request body over MAX_REQUEST_BYTES (413) and any uploaded
  file whose type is not in UPLOAD_ALLOWED_EXTENSIONS (415), before a view sees it. Each form
  still checks the content of the files it takes (publicity/uploads.py and the like).
- `SessionIdleMiddleware` moves the session's 30-minute idle expiry on at most once every
  `SESSION_REFRESH_SECONDS`, instead of writing the session on every request.
- `ScopeMemoMiddleware` lets a request read its user's townships and villages once.
- `server_error` is the 500 handler: a static page in Chinese, and a 503 "database unavailable"
  page when the cause is a lost database. Neither touches the database or a template that
  would (no context processors, no session): they are files read from templates/.
"""

from __future__ import annotations

import logging
import sys
import time
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

logger = logging.getLogger(__name__)

_REFUSED = "_lanshan_refused_uploads"


def _refused_uploads(request) -> list[str]:
    refused = request.__dict__.get(_REFUSED)
    if refused is None:
        refused = request.__dict__[_REFUSED] = []
    return refused


def extension_of(file_name: str) -> str:
    name = Path(file_name or "").name
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


class FileTypeUploadHandler(FileUploadHandler):
    """First upload handler: skips a file of a type the system never takes, and notes it."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        if extension_of(file_name) not in settings.UPLOAD_ALLOWED_EXTENSIONS:
            _refused_uploads(self.request).append(file_name)
            raise SkipFile
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # the next handler stores it

    def file_complete(self, file_size):
        return None


def _message_page(status: int, title: str, message: str) -> HttpResponse:
    body = (
        '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{settings.STATIC_URL}css/app.css"></head>'
        '<body><main class="page"><section class="card narrow">'
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
        "<p>请返回上一页重新选择文件。</p></section></main></body></html>"
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class UploadPolicyMiddleware:
    """Bounded request bodies and an allow-list of uploaded file types."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            return _message_page(413, "提交的内容过大",
                                 f"一次提交（含上传文件）不能超过{limit}MB。")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if not request.content_type.startswith("multipart/form-data"):
            return None
        request.FILES  # noqa: B018 - parse now, through the upload handlers
        refused = _refused_uploads(request)
        if refused:
            allowed = "、".join(sorted(settings.UPLOAD_ALLOWED_EXTENSIONS))
            logger.warning("Refused upload of file type(s): %s",
                           ", ".join(extension_of(n) or "(none)" for n in refused))
            return _message_page(415, "不支持的文件类型",
                                 f"系统只接收以下类型的文件：{allowed}。")
        return None


# --- Session idle timeout ------------------------------------------------------------------

SESSION_REFRESHED_AT = "_lanshan_refreshed_at"


class SessionIdleMiddleware:
    """The sliding idle timeout without a session write on every request.

    A session's expiry is its last save plus `SESSION_COOKIE_AGE`. After each response this
    stores the time in the session when the stored one is older than `SESSION_REFRESH_SECONDS`
    (or missing), which makes `SessionMiddleware` save it: an active user's expiry moves on at
    least once a minute, so idleness ends the session after 29 to 30 minutes, and requests in
    between write nothing. An empty session (anonymous, or flushed at logout) is not created.
    A session whose stored time is `SESSION_COOKIE_AGE` old is flushed before the request is
    handled, so the timeout holds whichever store (database, or cache in front of it) is read.
    Placed after `SessionMiddleware`, so its response step runs first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        session = getattr(request, "session", None)
        if session is not None:
            last = session.get(SESSION_REFRESHED_AT)
            if isinstance(last, int) and time.time() - last >= settings.SESSION_COOKIE_AGE:
                # Idle too long, whatever the store says: a cached session (cached_db) is not
                # checked against its expiry date when read.
                session.flush()
        response = self.get_response(request)
        if session is None:
            return response
        last = session.get(SESSION_REFRESHED_AT)  # loads it: a stale cookie leaves it empty
        if session.is_empty():
            return response
        now = int(time.time())
        if not isinstance(last, int) or not 0 <= now - last < settings.SESSION_REFRESH_SECONDS:
            session[SESSION_REFRESHED_AT] = now
        return response


def stamp_session_at_login(sender, request, user, **kwargs) -> None:
    """A sign-in is activity: the session saved at login carries the time, so the requests of
    the next minute write nothing (connected to `user_logged_in` in accounts.apps)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_REFRESHED_AT] = int(time.time())


class ScopeMemoMiddleware:
    """Each request reads the places its user works in once (`cases.scoping.request_memo`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        from cases.scoping import request_memo

        with request_memo():
            return self.get_response(request)


# --- Error pages ---------------------------------------------------------------------------

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"


@cache
def _static_page(name: str) -> bytes:
    return (TEMPLATES_DIR / name).read_bytes()


def is_database_outage(exc: BaseException | None) -> bool:
    """The exception, or one it was raised from, says the database cannot be reached."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """handler500: the outage page (503) when the database is gone, else the error page."""
    if is_database_outage(sys.exc_info()[1]):
        response = HttpResponse(_static_page("503.html"), status=503,
                                content_type="text/html; charset=utf-8")
        response["Retry-After"] = "60"
        return response
    return HttpResponse(_static_page("500.html"), status=500,
                        content_type="text/html; charset=utf-8")
