"""Talk RADIUS through FreeRADIUS's ``radclient`` (package freeradius-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
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


def _run(
    options: list[str], *, target: str, kind: str, secret: str, packets: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run radclient with the secret in a private file (``-S``), never on its command line,
    where any local user could read it in the process list."""
    with tempfile.NamedTemporaryFile("w", prefix="abonent-radius-", suffix=".secret") as fh:
        fh.write(secret + "\n")
        fh.flush()
        return subprocess.run(  # noqa: S603 - a fixed binary and arguments, no shell
            [*options, "-S", fh.name, target, kind],
            input=packets,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def radclient_send(
    *,
    server: str,
    port: int,
    secret: str,
    kind: str,
    attributes: Mapping[str, str | int] | Iterable[tuple[str, str | int]],
    timeout: float = 2.0,
    retries: int = 1,
) -> RadiusAnswer:
    """Send one request and parse the answer. ``kind`` is radclient's: ``auth``, ``acct``,
    ``disconnect`` or ``coa`` (RFC 5176; the port is then the NAS's CoA port). ``attributes``
    is a mapping, or pairs when a name repeats (``Cisco-AVPair`` twice). ``retries`` is
    radclient's ``-r``: how many times it sends in all, ``timeout`` seconds apart, before it
    gives up (``RadclientError``)."""
    binary = shutil.which("radclient")
    if binary is None:
        raise RadclientError("radclient not found: install freeradius-utils.")
    pairs = attributes.items() if isinstance(attributes, Mapping) else attributes
    packet = ", ".join(f"{name} = {_value(value)}" for name, value in pairs)
    started = time.monotonic()
    result = _run(
        [binary, "-x", "-r", str(retries), "-t", str(timeout)],
        target=f"{server}:{port}",
        kind=kind,
        secret=secret,
        packets=packet + "\n",
        timeout=timeout * (retries + 1) + 5,
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


_SENT = re.compile(r"^Sent \S+ Id (\d+) ")
_RECEIVED = re.compile(r"^Received (\S+) Id (\d+) ")
_NO_REPLY = re.compile(r"^\((\d+)\) No reply from server for ID (\d+)")


def radclient_send_many(
    *,
    server: str,
    port: int,
    secret: str,
    kind: str,
    packets: Sequence[Iterable[tuple[str, str | int]]],
    timeout: float = 2.0,
    retries: int = 2,
    parallel: int = 64,
) -> list[RadiusAnswer | None]:
    """Send many requests to one server with one radclient run, up to ``parallel`` in flight,
    and return, in the order of ``packets``, each answer or None where none came (after
    ``retries`` sends, ``timeout`` seconds apart). A silent server costs one timeout for the
    whole batch, not one per request. ``parallel`` stays under 256 so that radclient keeps one
    socket and the request Ids it prints are unique among the requests in flight."""
    binary = shutil.which("radclient")
    if binary is None:
        raise RadclientError("radclient not found: install freeradius-utils.")
    if not packets:
        return []
    parallel = max(1, min(parallel, 200))
    text = "\n\n".join(
        ", ".join(f"{name} = {_value(value)}" for name, value in pairs) for pairs in packets
    )
    started = time.monotonic()
    result = _run(
        [binary, "-x", "-r", str(retries), "-t", str(timeout), "-p", str(parallel)],
        target=f"{server}:{port}",
        kind=kind,
        secret=secret,
        packets=text + "\n",
        timeout=timeout * (retries + 1) * (len(packets) // parallel + 1) + 10,
    )
    elapsed_ms = (time.monotonic() - started) * 1000
    answers: list[RadiusAnswer | None] = [None] * len(packets)
    in_flight: dict[str, int] = {}  # radclient's Id → index of the packet
    sent = 0
    current: RadiusAnswer | None = None
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        if line.startswith(("\t", " ")):
            if current is not None and " = " in line:
                name, _, value = line.strip().partition(" = ")
                current.attributes.setdefault(name, []).append(_unquote(value))
            continue
        current = None
        if match := _SENT.match(line):
            if match[1] not in in_flight:  # a new request (a resend keeps its Id)
                if sent >= len(packets):
                    raise RadclientError(f"radclient sent more than asked: {line}")
                in_flight[match[1]] = sent
                sent += 1
        elif match := _RECEIVED.match(line):
            index = in_flight.pop(match[2], None)
            if index is None:
                raise RadclientError(f"radclient answer for an unknown request: {line}")
            current = answers[index] = RadiusAnswer(code=match[1], elapsed_ms=elapsed_ms)
        elif match := _NO_REPLY.match(line):
            index = in_flight.pop(match[2], None)
            if index is not None and index != int(match[1]):
                raise RadclientError(f"radclient output out of order: {line}")
    if sent != len(packets):
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise RadclientError(
            f"radclient sent {sent} of {len(packets)} requests to {server}:{port}"
            + (f": {detail[-1]}" if detail else "")
        )
    return answers
