"""`cast-gateway demo` (what `make run` starts), run as a user would: a real process, then Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import orjson
import pytest

from support.gateway import free_port, mcp_client

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    port, upstream_port = free_port(), free_port()
    config = tmp_path / "demo.toml"
    config.write_text(
        f'[server]\nbind = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
        f'[store]\npath = "{tmp_path}/var/cast.db"\n[blobs]\npath = "{tmp_path}/var/specs"\n'
        f'[vault]\nkey_file = "{tmp_path}/var/vault.key"\ncreate_key_file = true\n'
        '[upstream]\nallow_private_networks = true\nallow_http = true\nallowed_ports = []\n'
    )
    demo_file = tmp_path / "var" / "demo.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "cast_gateway", "--config", str(config), "demo",
         "--upstream-port", str(upstream_port), "--demo-file", str(demo_file)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        yield process, demo_file
    finally:
        if process.poll() is None:  # only the process this fixture started, by PID
            process.kill()
            process.wait(10)


async def wait_ready(process: subprocess.Popen[bytes], demo_file: Path) -> dict[str, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        if demo_file.exists() and demo_file.stat().st_size:
            details = orjson.loads(demo_file.read_bytes())
            try:
                async with mcp_client(details["mcp_url"], details["token"]) as client:
                    await client.list_tools()
                return details
            except Exception:
                pass
        await asyncio.sleep(0.1)
    raise TimeoutError("the demo did not become ready within 30 s")


async def test_demo_tools_then_ctrl_c(demo: tuple[subprocess.Popen[bytes], Path]) -> None:
    process, demo_file = demo
    details = await wait_ready(process, demo_file)

    async with mcp_client(details["mcp_url"], details["token"]) as client:
        names = sorted(tool.name for tool in (await client.list_tools()).tools)
        listed = await client.call_tool("listItems", {"q": "widget", "limit": 5})
        fetched = await client.call_tool("getItem", {"itemId": "item-1"})
        created = await client.call_tool("createItem", {"name": "yellow widget", "quantity": 2})

    process.send_signal(signal.SIGINT)
    exit_code = process.wait(20)
    output = process.stdout.read().decode() if process.stdout else ""

    assert names == ["createItem", "getItem", "listItems"]
    assert listed.is_error is False
    assert listed.structured_content["total"] == 2
    assert fetched.structured_content["name"] == "blue widget"
    assert created.is_error is False
    assert created.structured_content["name"] == "yellow widget"
    assert stat.S_IMODE(os.stat(demo_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(demo_file.parent / "vault.key").st_mode) == 0o600
    assert "for local use only" in output
    assert exit_code == 0
    assert details["token"] not in output
