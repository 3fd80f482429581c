"""How the API refuses: JSON `{"code", "message", "errors"}` with a Chinese message.

A refused workflow move (`CaseActionError`) is a 400, or a 403 when the user may not make it;
something the user may not see is a 404 that does not say whether it exists; a malformed
request is a 400. Nothing a client sends should end in a 500.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from cases.errors import CaseActionError

MALFORMED_MESSAGE = "请求内容不符合要求，请检查后重试。"


class FormRefused(Exception):
    """The action's form (the same one the case page uses) refused the submitted values."""

    def __init__(self, form):
        super().__init__("form invalid")
        self.form = form


def _error(api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str,
           errors: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message,
                                         "errors": errors or {}}, status=status)


def _validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "payload")]
        result.setdefault(".".join(loc) or "request", []).append(str(item.get("msg", "")))
    return result


def _form_errors(form) -> tuple[str, dict[str, list[str]]]:
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    parts = []
    for name, messages in errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None else ""
        parts.append(f"{label}：{messages[0]}" if label else messages[0])
    return "请检查填写的内容：" + "；".join(parts), errors


def install_handlers(api: NinjaAPI) -> None:
    """Register the API's refusals (replacing ninja's English defaults)."""

    def case_action_error(request, exc: CaseActionError):
        status = 403 if exc.code == "forbidden" else 400
        return _error(api, request, status, exc.code, exc.message)

    def form_refused(request, exc: FormRefused):
        message, errors = _form_errors(exc.form)
        return _error(api, request, 400, "invalid", message, errors)

    def not_found(request, exc: Http404):
        message = str(exc) if exc.args and str(exc) else "未找到，或您无权查看。"
        return _error(api, request, 404, "not_found", message)

    def permission_denied(request, exc: PermissionDenied):
        return _error(api, request, 403, "forbidden", str(exc) or "您没有执行此操作的权限。")

    def validation_error(request, exc: ValidationError):
        return _error(api, request, 400, "invalid", MALFORMED_MESSAGE, _validation_errors(exc))

    def authentication_error(request, exc: AuthenticationError):
        return _error(api, request, 401, "unauthenticated", "请先登录。")

    def http_error(request, exc: HttpError):
        if exc.status_code == 403 and "CSRF" in exc.message:
            return _error(api, request, 403, "csrf",
                          "CSRF校验失败：请携带 csrftoken Cookie 和相同值的 X-CSRFToken 请求头。")
        if exc.status_code == 400:  # e.g. a body that is not JSON
            return _error(api, request, 400, "invalid", MALFORMED_MESSAGE,
                          {"request": [exc.message]})
        return _error(api, request, exc.status_code, "http_error",
                      f"请求未能处理（{exc.message}）。")

    def body_not_json(request, exc: RawPostDataException):
        # A form-encoded or multipart body was parsed (by the CSRF check) before ninja read
        # it as JSON: the client sent the wrong content type.
        return _error(api, request, 400, "invalid", MALFORMED_MESSAGE,
                      {"request": ["请求体须为 JSON（Content-Type: application/json）。"]})

    api.add_exception_handler(CaseActionError, case_action_error)
    api.add_exception_handler(RawPostDataException, body_not_json)
    api.add_exception_handler(FormRefused, form_refused)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, permission_denied)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(HttpError, http_error)
