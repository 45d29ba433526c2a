"""`demo`: the gateway plus a demo upstream API on loopback, with workspace `demo` ready to use.

This is what `make run` starts. The upstream's bearer token is new on every start and
reaches the gateway only as an encrypted secret. The client token is written to
`var/demo.json` (mode 0600) for MCP clients.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from ..backends import open_backends
from ..config import Settings
from ..logs import configure_logging
from ..openapi import SpecBundle
from .context import settings_of

__all__ = ["register"]

logger = logging.getLogger(__name__)

DEMO_WORKSPACE = "demo"
DEMO_SCHEME = "bearerAuth"


def register(subcommands: Any) -> None:
    demo = subcommands.add_parser("demo", help="run the gateway with a demo upstream API and workspace 'demo' (make run)")
    demo.add_argument("--upstream-port", type=int, default=8081, help="loopback port of the demo upstream (default 8081)")
    demo.add_argument("--demo-file", default="var/demo.json", help="where to write the MCP URL and client token")
    demo.set_defaults(handler=demo_command)


def demo_spec() -> SpecBundle:
    data = resources.files("cast_gateway.demo").joinpath("openapi.yaml").read_bytes()
    return SpecBundle.single("openapi.yaml", data)


async def provision(settings: Settings, upstream_url: str, upstream_token: str) -> str:
    """Create or refresh workspace `demo` and return a new client token."""
    async with open_backends(settings, migrate=settings.store.backend == "sqlite") as backends:
        service = backends.service
        if await service.store.get_workspace(DEMO_WORKSPACE) is None:
            await service.create_workspace(DEMO_WORKSPACE, demo_spec(), base_url=upstream_url)
        else:
            await service.upload_spec(DEMO_WORKSPACE, demo_spec())
            await service.update_workspace(DEMO_WORKSPACE, base_url=upstream_url)
        await service.set_secret(DEMO_WORKSPACE, DEMO_SCHEME, upstream_token)
        for old in await service.store.list_client_tokens(DEMO_WORKSPACE):
            if old.label == "make run" and old.revoked_at is None:
                await service.revoke_token(DEMO_WORKSPACE, old.id)
        _record, token = await service.create_token(DEMO_WORKSPACE, label="make run")
        return token


def write_demo_file(path: Path, mcp_url: str, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(orjson.dumps({"mcp_url": mcp_url, "token": token}, option=orjson.OPT_INDENT_2) + b"\n")
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed


async def run_demo(settings: Settings, upstream_port: int, demo_file: Path) -> None:
    from ..demo.upstream import create_demo_upstream
    from ..serving.runner import (
        build_listeners, check_bindable, hypercorn_config, install_signal_handlers, listener_binds, serve_apps,
    )

    # Before provisioning: a busy port must not cost the previous demo token.
    check_bindable([*listener_binds(settings), (f"127.0.0.1:{upstream_port}", "--upstream-port")])
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    upstream_token = secrets.token_urlsafe(32)
    client_token = await provision(settings, upstream_url, upstream_token)
    mcp_url = f"{settings.server.public_url.rstrip('/')}/w/{DEMO_WORKSPACE}/mcp"
    write_demo_file(demo_file, mcp_url, client_token)

    stop = asyncio.Event()
    install_signal_handlers(stop)
    upstream_app = create_demo_upstream(upstream_token)
    listeners = [(upstream_app, hypercorn_config(f"127.0.0.1:{upstream_port}", settings)), *build_listeners(settings)]
    logger.info("demo upstream API on %s", upstream_url)
    logger.info("workspace %r ready at %s; its client token is in %s", DEMO_WORKSPACE, mcp_url, demo_file)
    print(f"\nCast gateway demo\n  MCP URL:      {mcp_url}\n  client token: in {demo_file} (mode 0600)\n  stop:         Ctrl-C\n", flush=True)
    await serve_apps(listeners, stop)


def demo_command(args: argparse.Namespace) -> int:
    from ..serving.runner import new_event_loop_runner

    settings = settings_of(args)
    configure_logging(settings.server.log_level)
    with new_event_loop_runner() as runner:
        runner.run(run_demo(settings, args.upstream_port, Path(args.demo_file)))
    return 0
