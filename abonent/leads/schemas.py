"""API shapes of connection requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import StrictBool, field_validator
from pydantic_core import PydanticCustomError


class LeadIn(Schema):
    """A connection request. ``consent`` must be JSON ``true`` (not "yes", not 1)."""

    tariff_id: int
    name: str
    phone: str
    address: str = ""
    comment: str = ""
    consent: StrictBool = False

    @field_validator("tariff_id", mode="before")
    @classmethod
    def _tariff_id_not_bool(cls, value: Any) -> Any:
        """``true`` is not a tariff id (pydantic's lax mode would read it as 1)."""
        if isinstance(value, bool):
            raise PydanticCustomError("int_type", "Input should be a valid integer")
        return value


class LeadOut(Schema):
    """The accepted request."""

    id: int
    status: str
    tariff_id: int
    name: str
    phone: str
    created_at: dt.datetime
    next_steps: str
