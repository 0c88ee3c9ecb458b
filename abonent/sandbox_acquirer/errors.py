"""The sandbox API's errors, answered as ``{"type": "error", "code", "description", …}``."""

from __future__ import annotations


class SandboxError(Exception):
    """A refused API request: HTTP status, machine code, text for developers, field at fault."""

    def __init__(
        self,
        description: str,
        *,
        parameter: str | None = None,
        code: str = "invalid_request",
        status: int = 400,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.parameter = parameter
        self.code = code
        self.status = status

    def as_json(self) -> dict:
        body = {"type": "error", "code": self.code, "description": self.description}
        if self.parameter:
            body["parameter"] = self.parameter
        return body


class NotFound(SandboxError):
    def __init__(self, description: str = "Object not found") -> None:
        super().__init__(description, code="not_found", status=404)
