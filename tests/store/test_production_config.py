"""config/production.toml.example loads, names every setting, and keeps secrets out of the file."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from cast_gateway.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "production.toml.example"


def test_example_loads_with_production_backends() -> None:
    settings = load_settings(EXAMPLE)

    assert settings.store.backend == "mysql"
    assert settings.store.tls_required is True
    assert settings.blobs.backend == "s3"
    assert settings.cache.backend == "redis"


def test_example_lists_every_setting() -> None:
    document = tomllib.loads(EXAMPLE.read_text())

    for section in dataclasses.fields(Settings):
        if section.name == "source":
            continue
        names = {field.name for field in dataclasses.fields(section.default_factory())}  # type: ignore[misc]
        if section.name == "store":
            names.discard("path")  # the SQLite file: not used with MySQL
        if section.name == "blobs":
            names.discard("path")  # the local folder: not used with S3
        if section.name == "vault":
            names -= {"key_file", "create_key_file"}  # the key file: not used with source = "aws"
        assert names <= set(document[section.name]), f"[{section.name}] misses {sorted(names - set(document[section.name]))}"


def test_example_holds_no_secret_values() -> None:
    text = EXAMPLE.read_text().lower()

    for word in ("password =", "secret =", "token =", "key ="):
        assert word not in text
