"""Clients generated from the AsyncAPI document: up to date, compiling, and working."""

from __future__ import annotations

import asyncio
import filecmp
import subprocess
from pathlib import Path
from typing import TypeVar

from websockets.asyncio.client import ClientConnection, connect

from clients.python.parrotchat_models import (
    ErrorOut,
    Hello,
    Join,
    JoinedOut,
    MessageOut,
    Send,
    ServerEvent,
    WelcomeOut,
)
from tests.support.node import ROOT, node_bin
from tests.support.server import RunningServer

CLIENTS = ROOT / "clients"
T = TypeVar("T")
GENERATED = [
    "asyncapi.json",
    "asyncapi.yaml",
    "parrotchat.schema.json",
    "typescript/parrotchat.d.ts",
    "python/parrotchat_models.py",
]


def test_committed_clients_are_generated_from_the_current_document(tmp_path: Path) -> None:
    node_bin("tsc")
    result = subprocess.run(
        [str(ROOT / "tools" / "gen-clients.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    stale = [
        name
        for name in GENERATED
        if not filecmp.cmp(CLIENTS / name, tmp_path / name, shallow=False)
    ]
    assert stale == [], "run `uv run task schema` and commit clients/"


def _tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(node_bin("tsc")), "--project", str(project), "--strict"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_generated_typescript_compiles_with_tsc_strict(tmp_path: Path) -> None:
    project = CLIENTS / "typescript" / "tsconfig.json"
    result = _tsc(project)
    assert result.returncode == 0, result.stdout + result.stderr
    # and the types do constrain: a hello without a name, an unknown field, a wrong tag
    (tmp_path / "wrong.ts").write_text(
        f'import type {{ ClientEvent }} from "{CLIENTS / "typescript" / "parrotchat"}";\n'
        'export const a: ClientEvent = { type: "hello" };\n'
        'export const b: ClientEvent = { type: "ping", author: "system" };\n'
        'export const c: ClientEvent = { type: "welcome", name: "x" };\n',
        encoding="utf-8",
    )
    (tmp_path / "tsconfig.json").write_text(
        f'{{"extends": "{project}", "files": ["wrong.ts"]}}', encoding="utf-8"
    )
    result = _tsc(tmp_path / "tsconfig.json")
    assert result.returncode != 0
    assert result.stdout.count("error TS") == 3, result.stdout


class TinyClient:
    """A client built only on the generated models and a WebSocket library."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, event: Hello | Join | Send) -> None:
        await self.ws.send(event.model_dump_json(exclude_none=True))

    async def receive(self, kind: type[T], timeout: float = 5.0) -> T:
        """The next event of `kind`; others (system, presence ...) are parsed and passed by."""
        async with asyncio.timeout(timeout):
            while True:
                event = ServerEvent.model_validate_json(await self.ws.recv()).root
                assert not isinstance(event, ErrorOut), event
                if isinstance(event, kind):
                    return event


async def test_a_client_on_the_generated_python_models_chats(
    server: RunningServer, room: str
) -> None:
    async with connect(server.ws_url) as ws_a, connect(server.ws_url) as ws_b:
        alice, bob = TinyClient(ws_a), TinyClient(ws_b)
        for client, name in ((alice, "Gen Alice"), (bob, "Gen Bob")):
            await client.send(Hello(type="hello", name=name, ref="h"))
            welcome = await client.receive(WelcomeOut)
            assert (welcome.name, welcome.ref) == (name, "h")
            await client.send(Join(type="join", room=room))
            joined = await client.receive(JoinedOut)
            assert joined.room == room
            assert joined.you.name == name

        await alice.send(Send(type="send", room=room, text="hi *Bob*", ref="s1"))
        received = await bob.receive(MessageOut)
        echoed = await alice.receive(MessageOut)
        assert (received.author, received.text, received.html) == (
            "Gen Alice",
            "hi *Bob*",
            "hi <strong>Bob</strong>",
        )
        assert received.seq == echoed.seq == 1
        assert (received.ref, echoed.ref) == (None, "s1")
