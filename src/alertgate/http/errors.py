"""Errors of the JSON API in one shape, as the webhooks answer them: `{"error", "message"}`.

FastAPI would answer a bad query or path parameter with 422 and its own `{"detail": [...]}`, and
an HTTPException with its detail nested under `detail`; both are rewritten here. A database that
does not answer is a 503 with Retry-After, as the webhooks answer it, not a bare 500.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from alertgate.ports import StoreError

log = structlog.get_logger(__name__)

INVALID_PARAMETER = "invalid_parameter"
STORE_UNAVAILABLE = "store_unavailable"
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "parameter": {"type": "string"},
    },
}


def describe(error: dict[str, Any]) -> tuple[str, str]:
    """The parameter a validation error is about, and a sentence naming what it accepts."""
    name = str(error["loc"][-1]) if error.get("loc") else "request"
    wanted = str(error.get("msg", "is invalid"))
    if wanted.startswith("Input should be "):
        wanted = "must be " + wanted.removeprefix("Input should be ")
    given = error.get("input")
    got = f" (got {given!r})" if isinstance(given, str) else ""
    return name, f"{name} {wanted}{got}"


async def invalid_parameter(_: Request, exc: Exception) -> Response:
    """400 naming each bad parameter and the values it accepts (FastAPI would answer 422)."""
    if not isinstance(exc, RequestValidationError):  # registered for it alone
        raise exc
    described = [describe(e) for e in exc.errors()]
    names = [name for name, _ in described]
    return JSONResponse(
        {
            "error": INVALID_PARAMETER,
            "parameter": names[0] if names else "request",
            "message": "; ".join(message for _, message in described) or "invalid request",
        },
        status_code=400,
    )


async def flat_http_error(request: Request, exc: Exception) -> Response:
    """An HTTPException raised with a `{"error", "message"}` detail answers that, not nested."""
    if not isinstance(exc, HTTPException):  # registered for it alone
        raise exc
    if isinstance(exc.detail, dict):
        return JSONResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    return await http_exception_handler(request, exc)


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """503 with Retry-After when the database does not answer a read or a re-drive: the
    client should try again, and /ready says why. The database's own words go to the log."""
    if not isinstance(exc, StoreError):  # registered for it alone
        raise exc
    log.error("api.store_unavailable", path=request.url.path, error=str(exc))
    return JSONResponse(
        {
            "error": STORE_UNAVAILABLE,
            "message": "the database did not answer; try again (GET /ready shows why)",
        },
        status_code=503,
        headers={"retry-after": "5"},
    )


def install(api: FastAPI) -> None:
    """Answer errors in the documented shape, and say so in /openapi.json (400, not 422)."""
    api.add_exception_handler(RequestValidationError, invalid_parameter)
    api.add_exception_handler(HTTPException, flat_http_error)
    api.add_exception_handler(StoreError, store_unavailable)

    generate = api.openapi

    def openapi() -> dict[str, Any]:
        first = api.openapi_schema is None
        schema = generate()  # cached by FastAPI after the first call
        if first:
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None:
                        responses["400"] = {
                            "description": "a parameter is invalid (`error`: "
                            f"`{INVALID_PARAMETER}`, `parameter` names it)",
                            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                        }
            components = schema.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
