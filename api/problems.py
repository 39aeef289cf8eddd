"""Errors as RFC 9457 problem details (`application/problem+json`), with the same one-line
messages the CLI prints."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from dubbing.errors import BadInputError, ConfigurationError, DubError, StorageError
from dubbing.redact import redact

TYPES = "https://dubbing.invalid/problems/"
log = logging.getLogger("api")
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 411: "Length required",
          413: "Content too large", 415: "Unsupported media type", 422: "Bad input",
          500: "Internal error", 503: "Unavailable"}


class Problem(Exception):
    """An answer other than success: the status, a one-line detail, and a problem type."""

    def __init__(self, status: int, detail: str, kind: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or TITLES.get(status, "error").lower().replace(" ", "-")
        self.headers = headers or {}


def not_found(job_id: str) -> Problem:
    return Problem(404, f"no dub {job_id[:80]!r} (for this API key)", "not-found")


def from_dub_error(exc: DubError) -> Problem:
    """The service's own errors: bad input is 422, the service's configuration or storage 503."""
    message = redact(str(exc).splitlines()[0] if str(exc) else exc.type)
    if isinstance(exc, BadInputError):
        return Problem(422, message, "bad-input")
    if isinstance(exc, ConfigurationError):
        return Problem(422, message, "refused")
    if isinstance(exc, StorageError):
        return Problem(503, message, "storage")
    return Problem(422, message, exc.type.lower())


def body(status: int, detail: str, kind: str, instance: str) -> dict[str, Any]:
    return {"type": TYPES + kind, "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail, "instance": instance}


def respond(request: Request, problem: Problem) -> JSONResponse:
    return JSONResponse(body(problem.status, problem.detail, problem.kind, request.url.path),
                        status_code=problem.status, headers=problem.headers,
                        media_type="application/problem+json")


def install(app: FastAPI) -> None:
    """Every error the app answers is a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return respond(request, exc)

    @app.exception_handler(DubError)
    async def _dub_error(request: Request, exc: DubError) -> JSONResponse:
        return respond(request, from_dub_error(exc))

    @app.exception_handler(ValidationError)
    async def _model(request: Request, exc: ValidationError) -> JSONResponse:
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        message = str(errors[0]["msg"] if errors else "invalid").removeprefix("Value error, ")
        return respond(request, Problem(422, f"{where or 'body'}: {message}", "bad-input"))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return respond(request, Problem(422, f"{where or 'request'}: {first.get('msg', 'invalid')}",
                                        "bad-input"))

    @app.exception_handler(RPCError)
    async def _temporal(request: Request, exc: RPCError) -> JSONResponse:
        log.warning("Temporal call failed for %s: %s", request.url.path, redact(exc.message))
        return respond(request, Problem(503, "the Temporal service does not answer right now; "
                                        "try again shortly", "unavailable"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, RuntimeError) and str(exc).startswith("Failed client connect"):
            return await _temporal(request, RPCError(str(exc), RPCStatusCode.UNAVAILABLE, b""))
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(request, Problem(500, "the API failed unexpectedly; the error is in its "
                                        "log", "internal"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return respond(request, Problem(exc.status_code, str(exc.detail)))
