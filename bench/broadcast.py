"""Broadcast latency and memory under load, against a real server on 127.0.0.1.

Starts `python -m app` in a subprocess and opens N WebSocket connections spread over rooms.
Most are lightweight "load" members: raw sockets that read and discard every byte (a Python
WebSocket client per member would make this process, not the server, the bottleneck). Some
of them send at a steady rate with a timestamp in the text. A few real `websockets` clients
per room are the probes: they decode every frame and record, for each benchmark message,
the delay from send to receipt (one machine, one clock). The slow scenario adds a member
that stops reading. Prints a summary and writes it to bench/results/. Bounded in time and
count; traffic only to 127.0.0.1.

    uv run python bench/broadcast.py                      # 1000 connections, 10 rooms
    uv run python bench/broadcast.py --scenario slow      # 40 senders + 1 stalled reader
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.raw import RawPeer, encode_frame
from tests.support.server import RunningServer, start_server

MARK = "t="
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Summary:
    scenario: str
    connections: int
    rooms: int
    senders: int
    send_interval_s: float
    duration_s: float
    messages_sent: int
    probe_deliveries: int
    probe_expected: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    server_rss_mb: float
    server_cpu_percent: float
    bench_cpu_percent: float
    stalled_dropped: bool | None
    probe_closes: list[int]
    server_closes: dict[str, float]
    server_dropped: dict[str, float]
    python: str


class LoadMember:
    """A raw WebSocket member: says hello, joins, then discards everything it is sent."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, name: str, room: str) -> LoadMember:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        await reader.readuntil(b"\r\n\r\n")
        member = cls(reader, writer)
        member.send({"type": "hello", "name": name})
        member.send({"type": "join", "room": room})
        return member

    def send(self, event: dict[str, str]) -> None:
        self.writer.write(encode_frame(json.dumps(event).encode()))

    async def discard(self) -> None:
        """Skip over every frame, answering pings (or the server would drop us as dead)."""
        buffer = b""
        while chunk := await self.reader.read(1 << 16):
            buffer += chunk
            while len(buffer) >= 2:
                opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
                if length == 126:
                    length, start = int.from_bytes(buffer[2:4]), 4
                elif length == 127:
                    length, start = int.from_bytes(buffer[2:10]), 10
                if len(buffer) < start + length:
                    break
                if opcode == 0x9:
                    self.writer.write(encode_frame(buffer[start : start + length], opcode=0xA))
                buffer = buffer[start + length :]

    def close(self) -> None:
        self.writer.close()


def _series(exposition: str, name: str, label: str) -> dict[str, float]:
    """{label value: sample} of one labelled counter in a Prometheus text exposition."""
    found = {}
    for line in exposition.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            found[labels.split(f'{label}="', 1)[1].split('"', 1)[0]] = float(value)
    return found


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _probe(url: str, name: str, room: str) -> ClientConnection:
    ws = await connect(url, open_timeout=30, max_queue=None, close_timeout=2)
    await ws.send(json.dumps({"type": "hello", "name": name}))
    await ws.send(json.dumps({"type": "join", "room": room}))
    while json.loads(await ws.recv())["type"] != "joined":
        pass
    return ws


async def _measure(ws: ClientConnection, latencies: list[float], closes: list[int]) -> None:
    clock = time.time_ns
    try:
        await _record(ws, latencies, clock)
    except ConnectionClosed as closed:
        closes.append(closed.rcvd.code if closed.rcvd else 1006)


async def _record(ws: ClientConnection, latencies: list[float], clock: Callable[[], int]) -> None:
    while True:
        frame = await ws.recv()
        if not isinstance(frame, str):
            continue
        at = frame.find(MARK)
        if at >= 0:
            sent_ns = int(frame[at + 2 : frame.index(" ", at)])
            latencies.append((clock() - sent_ns) / 1e6)


async def _send(
    member: LoadMember, room: str, interval: float, stop: asyncio.Event, sent: list[int]
) -> None:
    await asyncio.sleep(random.uniform(0, interval))  # senders are not in lockstep
    while not stop.is_set():
        member.send({"type": "send", "room": room, "text": f"{MARK}{time.time_ns()} hi there"})
        sent[0] += 1
        await asyncio.sleep(interval)


async def run(args: argparse.Namespace) -> Summary:
    # The senders keep to the default limits (5 per 2 s, 60 per minute) at --interval 1.0.
    server: RunningServer = start_server({"PARROT_MAX_CONNECTIONS": str(args.connections + 100)})
    try:
        rooms = [f"bench-{i}" for i in range(args.rooms)]
        loads: list[tuple[str, LoadMember]] = []
        for index in range(args.connections - args.probes * args.rooms):
            room = rooms[index % args.rooms]
            loads.append((room, await LoadMember.open(server.port, f"load{index}", room)))
        probes = [
            await _probe(server.ws_url, f"probe{i}-{r}", room)
            for r, room in enumerate(rooms)
            for i in range(args.probes)
        ]
        stalled: RawPeer | None = None
        if args.scenario == "slow":
            stalled = RawPeer(server.port, recv_buffer=2048)
            stalled.send_json(type="hello", name="Stalled")
            stalled.send_json(type="join", room=rooms[0])
        discarders = [asyncio.create_task(m.discard()) for _, m in loads]
        await asyncio.sleep(2.0)
        latencies: list[float] = []
        probe_closes: list[int] = []
        measurers = [asyncio.create_task(_measure(ws, latencies, probe_closes)) for ws in probes]
        stop = asyncio.Event()
        sent = [0]
        senders = loads[: args.senders]
        sending = [
            asyncio.create_task(_send(m, room, args.interval, stop, sent)) for room, m in senders
        ]
        server_cpu, own_cpu, started = _cpu_s(server.process.pid), _own_cpu_s(), time.monotonic()
        await asyncio.sleep(args.duration)
        stop.set()
        await asyncio.gather(*sending)
        elapsed = time.monotonic() - started
        server_cpu = _cpu_s(server.process.pid) - server_cpu
        own_cpu = _own_cpu_s() - own_cpu
        await asyncio.sleep(1.0)
        rss = _rss_mb(server.process.pid)
        for task in [*measurers, *discarders]:
            task.cancel()
        await asyncio.gather(*measurers, *discarders, return_exceptions=True)
        stalled_dropped = stalled.closed_by_server(1) if stalled else None
        async with httpx.AsyncClient() as http:
            exposition = (await http.get(f"{server.http_url}/metrics")).text
        server_closes = _series(exposition, "parrotchat_closes_total", "code")
        server_dropped = _series(exposition, "parrotchat_dropped_msgs_total", "reason")
        for ws in probes:
            await ws.close()
        for _, member in loads:
            member.close()
        latencies.sort()
        return Summary(
            scenario=args.scenario,
            connections=args.connections + (1 if stalled else 0),
            rooms=args.rooms,
            senders=len(senders),
            send_interval_s=args.interval,
            duration_s=args.duration,
            messages_sent=sent[0],
            probe_deliveries=len(latencies),
            probe_expected=sent[0] * args.probes,
            p50_ms=round(statistics.median(latencies), 2),
            p99_ms=round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2),
            max_ms=round(latencies[-1], 2),
            server_rss_mb=round(rss, 1),
            server_cpu_percent=round(100 * server_cpu / elapsed, 1),
            bench_cpu_percent=round(100 * own_cpu / elapsed, 1),
            stalled_dropped=stalled_dropped,
            probe_closes=probe_closes,
            server_closes=server_closes,
            server_dropped=server_dropped,
            python=platform.python_version(),
        )
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scenario", choices=["fanout", "slow"], default="fanout")
    parser.add_argument("--connections", type=int)
    parser.add_argument("--rooms", type=int)
    parser.add_argument("--senders", type=int, help="members sending, spread over the rooms")
    parser.add_argument("--probes", type=int, default=3, help="measuring clients per room")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between sends")
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    slow = args.scenario == "slow"
    args.connections = args.connections or (60 if slow else 1000)
    args.rooms = args.rooms or (1 if slow else 10)
    args.senders = args.senders or (40 if slow else 100)
    summary = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"broadcast-{summary.scenario}.json"
    out.write_text(json.dumps(asdict(summary), indent=2) + "\n")
    print(json.dumps(asdict(summary), indent=2))


if __name__ == "__main__":
    main()
