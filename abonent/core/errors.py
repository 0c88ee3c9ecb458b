"""Domain errors. Services raise them; pages show them; the API turns them into JSON."""

from __future__ import annotations

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A request the domain refuses, with a message for people and the field at fault.

    ``status`` is the HTTP status the API answers with.
    """

    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        """The JSON body the API answers with."""
        return {"detail": str(self.message), "field": self.field, "code": self.code, **self.extra}


class NotFound(ApplicationError):
    """The object does not exist or is not the caller's (the two are never told apart)."""

    status = 404
    code = "not_found"


class RateLimited(ApplicationError):
    """Too many attempts; try again later."""

    status = 429
    code = "rate_limited"


class PermissionDenied(ApplicationError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class Unauthorized(ApplicationError):
    """No valid credentials."""

    status = 401
    code = "unauthorized"
