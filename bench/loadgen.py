"""An open-model HTTP load generator: requests arrive at a constant rate whatever the server does.

Latency is measured from each request's *scheduled* send time (no coordinated omission): when the
server falls behind, waiting for a free connection counts. HTTP/1.1 keep-alive over a pool of raw
asyncio connections, so the generator costs little CPU per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RunResult", "percentile", "run_constant_rate"]


@dataclass
class RunResult:
    rate: float
    duration_s: float
    sent: int = 0
    ok: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def achieved(self) -> float:
        return self.ok / self.duration_s

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def roundtrip(self, request: bytes) -> int:
        self.writer.write(request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _run(
    host: str, port: int, make_request: Callable[[int], bytes], rate: float, duration_s: float, max_conns: int
) -> RunResult:
    result = RunResult(rate, duration_s)
    idle: asyncio.Queue[_Conn] = asyncio.Queue()
    opened = 0
    tasks: list[asyncio.Task[None]] = []

    async def connection() -> _Conn:
        nonlocal opened
        if idle.empty() and opened < max_conns:
            opened += 1
            reader, writer = await asyncio.open_connection(host, port)
            return _Conn(reader, writer)
        return await idle.get()

    async def one(i: int, scheduled: float) -> None:
        conn = await connection()
        try:
            status = await conn.roundtrip(make_request(i))
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            result.errors += 1
            nonlocal_opened_decrement()
            return
        latency = (time.perf_counter() - scheduled) * 1000
        idle.put_nowait(conn)
        if 200 <= status < 300:
            result.ok += 1
            result.latencies_ms.append(latency)
        else:
            result.errors += 1

    def nonlocal_opened_decrement() -> None:
        nonlocal opened
        opened -= 1

    start = time.perf_counter() + 0.05
    total = int(rate * duration_s)
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
        result.sent += 1
    done, pending = await asyncio.wait(tasks, timeout=30)
    for task in pending:
        task.cancel()
        result.errors += 1
    while not idle.empty():
        idle.get_nowait().writer.close()
    return result


def run_constant_rate(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    rate: float,
    duration_s: float,
    max_conns: int = 256,
) -> RunResult:
    return asyncio.run(_run(host, port, make_request, rate, duration_s, max_conns))
