"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets): N concurrent clients each
send requests back to back for a fixed time and record every latency. Each client keeps its
cookies like a browser (a ``Set-Cookie`` in a response replaces the value it sends next), so a
page that hands out a CSRF cookie does so once per client, not on every response. Runs pinned to
its own core; the server's CPU use is measured alongside so a saturated generator is reported,
not hidden."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    def summary(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50) * 1000, 2),
            "p95_ms": round(self.percentile(0.95) * 1000, 2),
            "p99_ms": round(self.percentile(0.99) * 1000, 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else 0.0,
        }


def parse_cookies(cookie: str) -> dict[bytes, bytes]:
    jar: dict[bytes, bytes] = {}
    for pair in cookie.split(";"):
        key, _, value = pair.strip().partition("=")
        if key:
            jar[key.encode()] = value.encode()
    return jar


def _request(head: bytes, jar: dict[bytes, bytes]) -> bytes:
    if not jar:
        return head + b"\r\n"
    return head + b"Cookie: " + b"; ".join(key + b"=" + value for key, value in jar.items()) + b"\r\n\r\n"


class _Connection(asyncio.Protocol):
    """One keep-alive client as a bare protocol (no stream objects: the generator must stay well
    ahead of one server core on the other core)."""

    def __init__(self, head: bytes, jar: dict[bytes, bytes], deadline: float, result: LoadResult) -> None:
        self.head, self.jar, self.deadline, self.result = head, jar, deadline, result
        self.request, self.sent_jar = _request(head, jar), dict(jar)
        self.buffer = b""
        self.expected = -1  # bytes of the whole response once its head is parsed
        self.status = 0
        self.started = 0.0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        if time.perf_counter() >= self.deadline:
            assert self.transport is not None
            self.transport.close()
            return
        if self.jar != self.sent_jar:
            self.request, self.sent_jar = _request(self.head, self.jar), dict(self.jar)
        self.started = time.perf_counter()
        assert self.transport is not None
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.expected < 0:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                self.status, length = _parse_head(self.buffer[:end], self.jar)
                self.expected = end + 4 + length
            if len(self.buffer) < self.expected:
                return
            self.buffer = self.buffer[self.expected :]
            self.expected = -1
            result = self.result
            result.latencies.append(time.perf_counter() - self.started)
            result.statuses[self.status] = result.statuses.get(self.status, 0) + 1
            if self.status != 200:
                result.errors += 1
            result.requests += 1
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None or time.perf_counter() < self.deadline:
            self.result.errors += 1
        if not self.done.done():
            self.done.set_result(None)


def _parse_head(head: bytes, jar: dict[bytes, bytes]) -> tuple[int, int]:
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding":
            raise RuntimeError("chunked responses are not supported by the load generator")
        elif lowered == b"set-cookie":
            key, _, cookie_value = value.strip().split(b";", 1)[0].partition(b"=")
            if cookie_value.strip(b'"'):
                jar[key.strip()] = cookie_value
            else:
                jar.pop(key.strip(), None)
    return status, length


async def _client(host: str, port: int, head: bytes, cookie: str, deadline: float, result: LoadResult) -> None:
    loop = asyncio.get_running_loop()
    _transport, protocol = await loop.create_connection(
        lambda: _Connection(head, parse_cookies(cookie), deadline, result), host, port
    )
    await protocol.done


def run_load(host: str, port: int, path: str, *, clients: int, seconds: float, cookie: str = "") -> LoadResult:
    """``cookie``: the cookies every client starts with (``name=value; …``)."""
    headers = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "User-Agent: linli-bench", "Connection: keep-alive"]
    head = ("\r\n".join(headers) + "\r\n").encode()
    result = LoadResult(requests=0, errors=0, seconds=seconds, latencies=[], statuses={})

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_client(host, port, head, cookie, deadline, result) for _ in range(clients)))
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
