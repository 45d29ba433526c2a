"""Run the gateway under hypercorn: the public listener and, when configured, the internal one."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from typing import Any
from urllib.parse import urlsplit

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.middleware import HTTPToHTTPSRedirectMiddleware

from ..config import Settings
from .app import create_app

__all__ = ["run_gateway", "serve_apps", "hypercorn_config", "new_event_loop_runner", "check_bindable", "listener_binds", "ListenAddressError", "public_listener"]

logger = logging.getLogger(__name__)


def hypercorn_config(bind: str, settings: Settings) -> Config:
    config = Config()
    config.bind = [bind]
    config.accesslog = None  # access lines carry query strings, which may hold API keys
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = settings.server.drain_timeout_s
    config.keep_alive_timeout = 75
    return config


async def serve_apps(apps: list[tuple[Any, Config]], stop: asyncio.Event) -> None:
    """Serve each (app, config) until `stop` is set; a listener that fails stops the others."""
    async with asyncio.TaskGroup() as group:
        for app, config in apps:
            group.create_task(serve(app, config, shutdown_trigger=stop.wait), name=f"listener-{config.bind[0]}")


class ListenAddressError(OSError):
    """A listener's address cannot be bound; names the address and the setting."""


def check_bindable(binds: list[tuple[str, str]]) -> None:
    """Fail before anything starts when an address is taken, naming it and its setting.

    `binds` contains (host:port, setting name) pairs. Without this check a busy port surfaces
    as a traceback from inside hypercorn after the other listeners have started.
    """
    for bind, setting in binds:
        host, _, port = bind.rpartition(":")
        host = host.strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, int(port)))
            except OSError as exc:
                raise ListenAddressError(
                    f"cannot listen on {bind} ({setting}): {exc.strerror}; stop the process using it or change {setting}"
                ) from None


def install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass


def public_listener(settings: Settings, app: Any) -> tuple[Any, Config]:
    """Return the MCP listener: TLS when configured, plus a plain-HTTP port that only redirects."""
    server = settings.server
    config = hypercorn_config(server.bind, settings)
    if not server.tls_cert_file:
        return app, config
    # hypercorn's TLS context requires TLS 1.2 or newer and turns compression off.
    config.certfile = str(settings.path(server.tls_cert_file))
    config.keyfile = str(settings.path(server.tls_key_file))
    if not server.http_redirect_bind:
        return app, config
    config.insecure_bind = [server.http_redirect_bind]
    return HTTPToHTTPSRedirectMiddleware(app, urlsplit(server.public_url).netloc), config


def build_listeners(settings: Settings) -> list[tuple[Any, Config]]:
    app = create_app(settings)
    listeners: list[tuple[Any, Config]] = [public_listener(settings, app)]
    internal = build_internal_listener(settings, app)
    if internal is not None:
        listeners.append(internal)
    return listeners


def build_internal_listener(settings: Settings, public_app: Any) -> tuple[Any, Config] | None:
    """Return the internal API listener, or None (logged) when INTERNAL_MCP_SECRET is unset."""
    try:
        from ..internal.mount import internal_listener_app
    except ImportError:
        logger.warning("internal API is off: this build has no internal API module")
        return None
    app = internal_listener_app(settings, public_app)
    if app is None:
        logger.warning("internal API is off: %s is not set", settings.internal.secret_env)
        return None
    return app, hypercorn_config(settings.internal.bind, settings)


def listener_binds(settings: Settings) -> list[tuple[str, str]]:
    binds = [(settings.server.bind, "server.bind")]
    if settings.server.http_redirect_bind:
        binds.append((settings.server.http_redirect_bind, "server.http_redirect_bind"))
    if os.environ.get(settings.internal.secret_env):
        binds.append((settings.internal.bind, "internal.bind"))
    return binds


async def run_gateway(settings: Settings) -> None:
    check_bindable(listener_binds(settings))
    stop = asyncio.Event()
    install_signal_handlers(stop)
    logger.info("serving MCP on http://%s/w/{workspace}/mcp", settings.server.bind)
    await serve_apps(build_listeners(settings), stop)


def new_event_loop_runner() -> asyncio.Runner:
    """Return an asyncio runner on uvloop when it is installed (lower per-request overhead), else on the default loop."""
    if os.environ.get("CAST_NO_UVLOOP") != "1":
        try:
            import uvloop

            return asyncio.Runner(loop_factory=uvloop.new_event_loop)
        except ImportError:
            pass
    return asyncio.Runner()
