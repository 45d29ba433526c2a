"""The app for hypercorn's worker processes: settings come from the file named by CAST_CONFIG."""

import os
from pathlib import Path

from ..config import load_settings
from ..logs import configure_logging
from .app import create_app
from .runner import public_listener

_settings = load_settings(Path(os.environ["CAST_CONFIG"]))
configure_logging(_settings.server.log_level)
app, _config = public_listener(_settings, create_app(_settings))
