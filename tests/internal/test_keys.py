"""Signing secrets from the environment."""

from __future__ import annotations

import pytest

from cast_gateway.config import InternalSettings, settings_from_mapping
from cast_gateway.internal.errors import InternalConfigError
from cast_gateway.internal.keys import InternalSecrets, SigningKey, key_id_for, load_internal_secrets

CURRENT = "c" * 40
PREVIOUS = "p" * 40


def test_unset_secret_turns_api_off() -> None:
    assert load_internal_secrets(InternalSettings(), {}) is None


def test_empty_secret_turns_api_off() -> None:
    assert load_internal_secrets(InternalSettings(), {"INTERNAL_MCP_SECRET": ""}) is None


def test_current_secret_only() -> None:
    secrets = load_internal_secrets(InternalSettings(), {"INTERNAL_MCP_SECRET": CURRENT})
    assert secrets is not None
    assert secrets.previous is None
    assert dict(secrets.accepted()) == {key_id_for(CURRENT.encode()): CURRENT.encode()}


def test_both_secrets_during_rotation() -> None:
    environ = {"INTERNAL_MCP_SECRET": CURRENT, "INTERNAL_MCP_SECRET_PREVIOUS": PREVIOUS}
    secrets = load_internal_secrets(settings_from_mapping({}), environ)
    assert secrets is not None
    assert set(secrets.accepted()) == {key_id_for(CURRENT.encode()), key_id_for(PREVIOUS.encode())}


def test_variable_names_come_from_settings() -> None:
    settings = InternalSettings(secret_env="OTHER_SECRET", previous_secret_env="OTHER_PREVIOUS")
    secrets = load_internal_secrets(settings, {"OTHER_SECRET": CURRENT, "INTERNAL_MCP_SECRET": PREVIOUS})
    assert secrets is not None
    assert secrets.current.secret == CURRENT.encode()


def test_short_secret_is_rejected_without_echo() -> None:
    with pytest.raises(InternalConfigError) as caught:
        load_internal_secrets(InternalSettings(), {"INTERNAL_MCP_SECRET": "tooshort-value"})
    assert "INTERNAL_MCP_SECRET" in str(caught.value)
    assert "tooshort-value" not in str(caught.value)


def test_previous_without_current_is_rejected() -> None:
    with pytest.raises(InternalConfigError, match="INTERNAL_MCP_SECRET_PREVIOUS is set"):
        load_internal_secrets(InternalSettings(), {"INTERNAL_MCP_SECRET_PREVIOUS": PREVIOUS})


def test_key_id_is_stable_and_differs_per_secret() -> None:
    assert key_id_for(CURRENT.encode()) == key_id_for(CURRENT.encode())
    assert key_id_for(CURRENT.encode()) != key_id_for(PREVIOUS.encode())
    assert len(key_id_for(CURRENT.encode())) == 16


def test_secret_stays_out_of_repr() -> None:
    secrets = InternalSecrets(current=SigningKey.from_text(CURRENT))
    assert CURRENT not in repr(secrets)
