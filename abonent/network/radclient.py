"""Talk RADIUS through FreeRADIUS's ``radclient`` (package freeradius-utils)."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field


class RadclientError(Exception):
    """radclient is missing, or the server did not answer."""


@dataclass
class RadiusAnswer:
    """The server's answer: its code (``Access-Accept``…), attributes, and the time it took."""

    code: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def first(self, name: str) -> str | None:
        """The first value of an attribute, or None."""
        values = self.attributes.get(name)
        return values[0] if values else None


def _value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def radclient_send(
    *,
    server: str,
    port: int,
    secret: str,
    kind: str,
    attributes: dict[str, str | int],
    timeout: float = 2.0,
    retries: int = 1,
) -> RadiusAnswer:
    """Send one request (``kind`` is ``auth`` or ``acct``) and parse the answer."""
    binary = shutil.which("radclient")
    if binary is None:
        raise RadclientError("radclient not found: install freeradius-utils.")
    packet = ", ".join(f"{name} = {_value(value)}" for name, value in attributes.items())
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - a fixed binary and arguments, no shell
        [binary, "-x", "-r", str(retries), "-t", str(timeout), f"{server}:{port}", kind, secret],
        input=packet + "\n",
        capture_output=True,
        text=True,
        timeout=timeout * (retries + 1) + 5,
        check=False,
    )
    elapsed_ms = (time.monotonic() - started) * 1000
    answer: RadiusAnswer | None = None
    for line in result.stdout.splitlines():
        if line.startswith("Received "):
            answer = RadiusAnswer(code=line.split()[1], elapsed_ms=elapsed_ms)
        elif answer is not None and line.startswith(("\t", " ")) and " = " in line:
            name, _, value = line.strip().partition(" = ")
            answer.attributes.setdefault(name, []).append(_unquote(value))
        elif answer is not None and line.startswith("Sent "):
            break
    if answer is None:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise RadclientError(
            f"no answer from {server}:{port}" + (f": {detail[-1]}" if detail else "")
        )
    return answer
