"""`serve`: run the gateway until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from ..logs import configure_logging
from .context import settings_of

__all__ = ["register"]


def register(subcommands: Any) -> None:
    serve = subcommands.add_parser("serve", help="run the gateway")
    serve.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    # Imported here: the serving stack takes seconds to import, which every other command skips.
    from ..serving.runner import new_event_loop_runner, run_gateway

    settings = settings_of(args)
    configure_logging(settings.server.log_level)
    if settings.server.workers > 1:
        return serve_workers(args, settings)
    with new_event_loop_runner() as runner:
        runner.run(run_gateway(settings))
    return 0


def serve_workers(args: argparse.Namespace, settings: Any) -> int:
    """Several worker processes through hypercorn's supervisor, each loading the app from the config path."""
    from hypercorn.run import run as hypercorn_run

    from ..serving.runner import check_bindable, listener_binds, public_listener

    if not args.config:
        raise ValueError("server.workers > 1 needs --config FILE: each worker process reads the settings from it")
    os.environ["CAST_CONFIG"] = os.path.abspath(args.config)
    check_bindable(listener_binds(settings))
    _app, config = public_listener(settings, None)  # each worker builds its own app from the config file
    config.application_path = "cast_gateway.serving.asgi:app"
    config.workers = settings.server.workers
    try:
        import uvloop  # noqa: F401

        config.worker_class = "uvloop"
    except ImportError:
        config.worker_class = "asyncio"
    logging.getLogger(__name__).warning(
        "running %d workers; the internal API is not served in multi-worker mode", settings.server.workers
    )
    return int(hypercorn_run(config) or 0)
