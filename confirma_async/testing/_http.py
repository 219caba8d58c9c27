"""JSON responses and the A3 error body, shared by every handler."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .._core import wire as _wire
from .._core.json import dumps

JSON_TYPE = "application/json"


def json_response(data: Any, status: int = 200) -> web.Response:
    """Serialise ``data`` with the project encoder (exact ``Decimal`` amounts)."""
    return raw_json_response(dumps(data), status)


def raw_json_response(body: bytes, status: int = 200) -> web.Response:
    """Answer with already-serialised JSON."""
    return web.Response(body=body, status=status, content_type=JSON_TYPE)


def error_body(code: str, message: str, errors: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """Build the A3 error object ``{"code", "message", "errors": [{"field", "message"}]}``."""
    return {
        "code": code,
        "message": message,
        "errors": [{"field": field, "message": text} for field, text in errors],
    }


class ApiError(Exception):
    """Raised by handlers and state; the app turns it into an A3 JSON error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors)
        self.headers = headers or {}

    def response(self) -> web.Response:
        """Render this error as a JSON response."""
        resp = json_response(error_body(self.code, self.message, self.errors), self.status)
        resp.headers.update(self.headers)
        return resp


def validation_error(errors: Sequence[tuple[str, str]]) -> ApiError:
    """A 400 ``VALIDATION_ERROR`` carrying field errors (wire paths)."""
    count = len(errors)
    message = f"{count} field{'s' if count != 1 else ''} failed validation"
    return ApiError(400, _wire.CODE_VALIDATION, message, errors)


def not_found(message: str) -> ApiError:
    """A 404 ``NOT_FOUND``."""
    return ApiError(404, _wire.CODE_NOT_FOUND, message)


def unauthorized(message: str) -> ApiError:
    """A 401 ``UNAUTHORIZED``."""
    return ApiError(401, _wire.CODE_UNAUTHORIZED, message)
