"""The load generator of ``bench/radius.py``: RFC 2865 Access-Requests over UDP, pre-built.

Packets are built before the clock starts (User-Password hidden as RFC 2865 §5.2 says,
Message-Authenticator as RFC 3579 §3.2 says, first in the packet as FreeRADIUS recommends since
BlastRADIUS); the measured loop only sends bytes, receives bytes, checks each answer's Response
Authenticator (and its Message-Authenticator when there is one) and compares its code with the
expectation. One thread, non-blocking sockets and ``epoll``: no asyncio, no pyrad.

Identifiers: request ``j`` goes out on socket ``j % S`` with identifier ``(j // S) % 256``, so an
identifier comes back into use on its socket 256 sends later. If its previous request is still
unanswered then (a slow answer while the others went round), the send waits for that answer or
its timeout (counted as ``stalls``): two live requests never share an identifier.

Two shapes of load, both bounded by C requests in flight:

- closed loop (``rate=None``): the next request leaves as soon as fewer than C are in flight,
  so the server runs flat out; the rate is its capacity and latency is about C / rate (Little);
- paced (``rate=R``): request ``k`` is due at ``start + k / R``; it leaves when due (and fewer
  than C are in flight): the latency at a given offered rate.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import select
import socket
import time
from dataclasses import dataclass, field

ACCESS_REQUEST, ACCESS_ACCEPT, ACCESS_REJECT = 1, 2, 3
USER_NAME, USER_PASSWORD, NAS_IP_ADDRESS, SERVICE_TYPE = 1, 2, 4, 6
FRAMED_PROTOCOL, CALLING_STATION_ID, NAS_IDENTIFIER, NAS_PORT_TYPE = 7, 31, 32, 61
MESSAGE_AUTHENTICATOR = 80
CODES = {ACCESS_ACCEPT: "accept", ACCESS_REJECT: "reject"}


@dataclass(frozen=True)
class Planned:
    """One request of the plan: who asks, with what, and which answer is right."""

    login: str
    password: str
    calling_station_id: str
    accept: bool
    kind: str  # the class of request (active, blocked, new, wrong_password, unknown_login …)


@dataclass(frozen=True)
class Packet:
    """A pre-built Access-Request."""

    sock: int
    ident: int
    data: bytes
    authenticator: bytes
    accept: bool


def _attr(kind: int, value: bytes) -> bytes:
    if len(value) > 253:
        raise ValueError(f"attribute {kind} too long")
    return bytes((kind, len(value) + 2)) + value


def hide_password(password: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """User-Password hiding (RFC 2865 §5.2)."""
    padded = password.ljust(max(16, -(-len(password) // 16) * 16), b"\0")
    out = bytearray()
    last = authenticator
    for i in range(0, len(padded), 16):
        key = hashlib.md5(secret + last).digest()  # noqa: S324 - the protocol's MD5
        block = bytes(a ^ b for a, b in zip(padded[i : i + 16], key, strict=True))
        out += block
        last = block
    return bytes(out)


def access_request(
    *,
    ident: int,
    authenticator: bytes,
    secret: bytes,
    login: str,
    password: str,
    calling_station_id: str,
    nas_ip: bytes = b"\x7f\x00\x00\x01",
) -> bytes:
    """One Access-Request as a PPPoE NAS sends it, Message-Authenticator first."""
    attrs = (
        _attr(MESSAGE_AUTHENTICATOR, b"\0" * 16)
        + _attr(USER_NAME, login.encode())
        + _attr(USER_PASSWORD, hide_password(password.encode(), secret, authenticator))
        + _attr(NAS_IP_ADDRESS, nas_ip)
        + _attr(NAS_IDENTIFIER, b"bench-nas")
        + _attr(NAS_PORT_TYPE, (15).to_bytes(4, "big"))  # Ethernet
        + _attr(SERVICE_TYPE, (2).to_bytes(4, "big"))  # Framed-User
        + _attr(FRAMED_PROTOCOL, (1).to_bytes(4, "big"))  # PPP
        + _attr(CALLING_STATION_ID, calling_station_id.encode())
    )
    header = bytes((ACCESS_REQUEST, ident)) + (20 + len(attrs)).to_bytes(2, "big")
    packet = header + authenticator + attrs
    mac = hmac.new(secret, packet, hashlib.md5).digest()
    return packet[:22] + mac + packet[38:]


def build_packets(
    plan: list[Planned], *, secret: bytes, sockets: int, seed: int, first: int = 0
) -> list[Packet]:
    """Packets for the plan, request ``first + j`` numbered as the module docstring says."""
    rnd = random.Random(seed)
    out = []
    for j, p in enumerate(plan, start=first):
        s, ident = j % sockets, (j // sockets) % 256
        authenticator = rnd.randbytes(16)
        data = access_request(
            ident=ident,
            authenticator=authenticator,
            secret=secret,
            login=p.login,
            password=p.password,
            calling_station_id=p.calling_station_id,
        )
        out.append(Packet(s, ident, data, authenticator, p.accept))
    return out


def _message_authenticator_ok(data: bytes, request_auth: bytes, secret: bytes) -> bool | None:
    """None without a Message-Authenticator, else whether it verifies (RFC 3579 §3.2)."""
    i, n = 20, len(data)
    while i + 2 <= n:
        kind, length = data[i], data[i + 1]
        if length < 2:
            return False
        if kind == MESSAGE_AUTHENTICATOR and length == 18:
            zeroed = data[:4] + request_auth + data[20 : i + 2] + b"\0" * 16 + data[i + 18 :]
            want = hmac.new(secret, zeroed, hashlib.md5).digest()
            return hmac.compare_digest(want, data[i + 2 : i + 18])
        i += length
    return None


@dataclass
class LoadResult:
    """What one run of the loop saw."""

    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    accepts: int = 0
    rejects: int = 0
    wrong_answer: int = 0  # accept where a reject was due, or the reverse
    bad_authenticator: int = 0
    other_code: int = 0
    lost: int = 0
    stray: int = 0  # answers to nothing in flight (late, duplicated)
    message_authenticators: int = 0  # answers whose Message-Authenticator verified
    stalls: int = 0  # sends held back because their identifier was still in flight
    elapsed: float = 0.0
    client_cpu: float = 0.0  # seconds of this process's CPU during the loop
    behind_ms: float = 0.0  # paced: how late the last request left against its schedule

    @property
    def answered(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return self.wrong_answer + self.bad_authenticator + self.other_code + self.lost

    @property
    def rate(self) -> float:
        return self.answered / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        """The q-th percentile of latency (nearest rank), ms."""
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        rank = max(0, min(len(data) - 1, int(q / 100 * len(data) + 0.5) - 1))
        return data[rank]


def run_load(
    packets: list[Packet],
    *,
    server: tuple[str, int],
    secret: bytes,
    sockets: int,
    in_flight: int,
    rate: float | None = None,
    timeout: float = 2.0,
) -> LoadResult:
    """Send every packet (at most ``in_flight`` unanswered), collect the answers."""
    if in_flight >= 256:
        raise ValueError("in_flight must stay under 256 (one identifier space per socket)")
    socks = []
    for _ in range(sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.connect(server)
        s.setblocking(False)
        socks.append(s)
    ep = select.epoll()
    by_fd = {}
    for i, s in enumerate(socks):
        ep.register(s.fileno(), select.EPOLLIN)
        by_fd[s.fileno()] = i
    # pending[s * 256 + ident] = (packet, monotonic ns when sent)
    pending: list[tuple[Packet, int] | None] = [None] * (sockets * 256)
    res = LoadResult()
    lat = res.latencies_ms
    md5 = hashlib.md5
    now_ns = time.perf_counter_ns
    total = len(packets)
    nxt = 0
    live = 0
    stalled_at = -1
    interval_ns = int(1e9 / rate) if rate else 0
    cpu0 = time.process_time()
    t0 = now_ns()
    last_sweep = t0
    timeout_ns = int(timeout * 1e9)
    try:
        while nxt < total or live:
            now = now_ns()
            stalled = False
            # send what may go
            while nxt < total and live < in_flight:
                if interval_ns and t0 + nxt * interval_ns > now:
                    break
                p = packets[nxt]
                slot = p.sock * 256 + p.ident
                if pending[slot] is not None:  # the identifier's last user is still out:
                    if stalled_at != nxt:  # wait for its answer (or its timeout)
                        res.stalls += 1
                        stalled_at = nxt
                    stalled = True
                    break
                sent_at = now_ns()
                try:
                    socks[p.sock].send(p.data)
                except BlockingIOError:
                    break
                pending[slot] = (p, sent_at)
                live += 1
                nxt += 1
                res.sent += 1
                if interval_ns:
                    res.behind_ms = (now - (t0 + (nxt - 1) * interval_ns)) / 1e6
            # wait for answers (or for the next due request)
            if interval_ns and nxt < total and live < in_flight and not stalled:
                wait = max(0.0, (t0 + nxt * interval_ns - now_ns()) / 1e9)
            else:
                wait = 0.05
            for fd, _ev in ep.poll(wait):
                s = by_fd[fd]
                sock = socks[s]
                while True:
                    try:
                        data = sock.recv(4096)
                    except BlockingIOError:
                        break
                    t = now_ns()
                    if len(data) < 20:
                        res.stray += 1
                        continue
                    slot = s * 256 + data[1]
                    entry = pending[slot]
                    if entry is None:
                        res.stray += 1
                        continue
                    p, sent_at = entry
                    digest = md5(data[:4] + p.authenticator + data[20:] + secret).digest()
                    if digest != data[4:20]:  # not the answer to this request
                        res.bad_authenticator += 1
                        continue
                    pending[slot] = None
                    live -= 1
                    lat.append((t - sent_at) / 1e6)
                    if len(data) > 20:
                        ma = _message_authenticator_ok(data, p.authenticator, secret)
                        if ma is False:
                            res.bad_authenticator += 1
                        elif ma:
                            res.message_authenticators += 1
                    code = data[0]
                    if code == ACCESS_ACCEPT:
                        res.accepts += 1
                        if not p.accept:
                            res.wrong_answer += 1
                    elif code == ACCESS_REJECT:
                        res.rejects += 1
                        if p.accept:
                            res.wrong_answer += 1
                    else:
                        res.other_code += 1
            now = now_ns()
            if now - last_sweep > 50_000_000:  # give up on requests older than the timeout
                last_sweep = now
                for slot, entry in enumerate(pending):
                    if entry is not None and now - entry[1] > timeout_ns:
                        pending[slot] = None
                        live -= 1
                        res.lost += 1
        res.elapsed = (now_ns() - t0) / 1e9
        res.client_cpu = time.process_time() - cpu0
    finally:
        ep.close()
        for s in socks:
            s.close()
    return res
