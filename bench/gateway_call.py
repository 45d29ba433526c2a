"""Benchmark: one tools/call through the gateway, against the same call sent straight to the
upstream and against a bare SDK server doing the same upstream call (the floor).

Each server runs in its own process on 127.0.0.1; the script is the client. The three
targets are measured in alternating rounds in one run, at 1 and 16 concurrent clients.
Printed per target: calls/s, p50 and p99 latency, and the server process's CPU time per
call (user + system, read from /proc), which is what the gateway's overhead costs.

Usage: .venv/bin/python bench/gateway_call.py [--calls 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = [PYTHON, "-m", "cast_gateway"]
TICKS = os.sysconf("SC_CLK_TCK")

SPEC = """openapi: 3.1.0
info: {title: Bench, version: "1"}
servers: [{url: "%s"}]
security: [{bearerAuth: []}]
paths:
  /api/items/{itemId}:
    get:
      operationId: getItem
      parameters: [{name: itemId, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {type: object, properties: {id: {type: string}, name: {type: string}, quantity: {type: integer}}}}}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICKS


async def wait_for_port(port: int, deadline_s: float = 20.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {deadline_s} s")


class McpSession:
    """A minimal 2025-11-25 client over raw HTTP, so client CPU stays small and equal for both servers."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str | None) -> None:
        self.http = http
        self.url = url
        self.headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.next_id = 1

    async def post(self, message: dict[str, Any]) -> Any:
        async with self.http.post(self.url, json=message, headers=self.headers) as response:
            if response.status == 202:
                return None
            response.raise_for_status()
            if "mcp-session-id" in response.headers:
                self.headers["Mcp-Session-Id"] = response.headers["mcp-session-id"]
            return await response.json()

    async def open(self) -> None:
        await self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
        self.headers["MCP-Protocol-Version"] = "2025-11-25"
        await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def call(self, item_id: str) -> None:
        self.next_id += 1
        answer = await self.post({"jsonrpc": "2.0", "id": self.next_id, "method": "tools/call",
                                  "params": {"name": "getItem", "arguments": {"itemId": item_id}}})
        if answer["result"].get("isError"):
            raise RuntimeError(f"tool call failed: {answer['result']['content'][0]['text'][:200]}")


async def measure(calls: int, concurrency: int, make_caller: Callable[[], Awaitable[Callable[[str], Awaitable[None]]]],
                  pid: int | None) -> dict[str, float]:
    callers = [await make_caller() for _ in range(concurrency)]
    latencies: list[float] = []
    per_client = calls // concurrency

    async def drive(call: Callable[[str], Awaitable[None]], offset: int) -> None:
        for index in range(per_client):
            started = time.perf_counter()
            await call(str(offset + index))
            latencies.append(time.perf_counter() - started)

    cpu_before = cpu_seconds(pid) if pid else 0.0
    wall_started = time.perf_counter()
    await asyncio.gather(*(drive(call, n * per_client) for n, call in enumerate(callers)))
    wall = time.perf_counter() - wall_started
    cpu = (cpu_seconds(pid) - cpu_before) if pid else 0.0
    latencies.sort()
    done = len(latencies)
    return {
        "calls_per_s": done / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(done - 1, int(done * 0.99))] * 1000,
        "cpu_ms_per_call": cpu / done * 1000 if pid else float("nan"),
    }


def provision(workdir: Path, upstream_url: str, port: int) -> tuple[Path, str]:
    config = workdir / "bench.toml"
    config.write_text(
        f'[server]\nbind = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\nlog_level = "WARNING"\n'
        f'[store]\npath = "{workdir}/cast.db"\n[blobs]\npath = "{workdir}/specs"\n'
        f'[vault]\nkey_file = "{workdir}/vault.key"\ncreate_key_file = true\n'
        '[upstream]\nallow_private_networks = true\nallow_http = true\nallowed_ports = []\n'
    )
    spec = workdir / "bench.yaml"
    spec.write_text(SPEC % upstream_url)
    run = lambda *args, **kw: subprocess.run([*CLI, "--config", str(config), *args], check=True, capture_output=True, text=True, **kw)  # noqa: E731
    run("workspace", "create", "bench", "--spec", str(spec))
    run("secret", "set", "bench", "bearerAuth", input="bench-upstream-token\n")
    import json

    token = json.loads(run("token", "create", "bench").stdout)["token"]
    return config, token


async def main(calls: int, rounds: int) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="cast-bench-") as temporary:
        workdir = Path(temporary)
        try:
            upstream_port, bare_port, gateway_port = free_port(), free_port(), free_port()
            upstream_url = f"http://127.0.0.1:{upstream_port}"
            processes.append(subprocess.Popen([PYTHON, str(ROOT / "bench/bench_upstream.py"), str(upstream_port)]))
            bare = subprocess.Popen([PYTHON, str(ROOT / "bench/bare_sdk_server.py"), str(bare_port), upstream_url])
            processes.append(bare)
            config, token = provision(workdir, upstream_url, gateway_port)
            gateway = subprocess.Popen([*CLI, "--config", str(config), "serve"], stderr=subprocess.DEVNULL)
            processes.append(gateway)
            for port in (upstream_port, bare_port, gateway_port):
                await wait_for_port(port)

            connector = aiohttp.TCPConnector(limit=64)
            async with aiohttp.ClientSession(connector=connector) as http:
                async def direct() -> Callable[[str], Awaitable[None]]:
                    async def call(item_id: str) -> None:
                        async with http.get(f"{upstream_url}/api/items/{item_id}",
                                            headers={"Authorization": "Bearer bench-upstream-token"}) as response:
                            await response.read()
                    return call

                def mcp(url: str, mcp_token: str | None) -> Callable[[], Awaitable[Callable[[str], Awaitable[None]]]]:
                    async def make() -> Callable[[str], Awaitable[None]]:
                        session = McpSession(http, url, mcp_token)
                        await session.open()
                        return session.call
                    return make

                targets: dict[str, tuple[Any, int | None]] = {
                    "direct to upstream": (direct, None),
                    "bare SDK server": (mcp(f"http://127.0.0.1:{bare_port}/mcp", None), bare.pid),
                    "Cast gateway": (mcp(f"http://127.0.0.1:{gateway_port}/w/bench/mcp", token), gateway.pid),
                }
                for _name, (make, pid) in targets.items():  # warm-up: imports, pools, JIT-free but cache-warm
                    await measure(200, 4, make, pid)

                for concurrency in (1, 16):
                    results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
                    for _round in range(rounds):
                        for name, (make, pid) in targets.items():
                            results[name].append(await measure(calls, concurrency, make, pid))
                    print(f"\n{concurrency} concurrent client(s), {calls} calls x {rounds} alternating rounds (medians)")
                    print(f"{'target':<20} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/call':>12}")
                    for name, runs in results.items():
                        row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                        print(f"{name:<20} {row['calls_per_s']:>9.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['cpu_ms_per_call']:>12.3f}")
                    floor = statistics.median(run["cpu_ms_per_call"] for run in results["bare SDK server"])
                    gateway_cpu = statistics.median(run["cpu_ms_per_call"] for run in results["Cast gateway"])
                    print(f"gateway CPU per call / bare SDK server: {gateway_cpu / floor:.2f}x (target <= 1.5x)")
        finally:
            for process in processes:  # only the processes this script started, by PID
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per target per round (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    options = parser.parse_args()
    asyncio.run(main(options.calls, options.rounds))
