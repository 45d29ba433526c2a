"""The shared secrets that sign internal API requests, read from the environment.

A key id is derived from its secret (a truncated SHA-256 under a fixed label), so the
provisioning service and the gateway agree on it without one more setting to keep in
step. During a rotation the gateway accepts the secrets of both variables; the key id
in each request names the one that signed it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Mapping

from ..config import InternalSettings, Settings
from .errors import InternalConfigError

__all__ = ["SigningKey", "InternalSecrets", "load_internal_secrets", "key_id_for", "MIN_SECRET_BYTES"]

# HMAC-SHA256 gains nothing from a longer key than its 32-byte output, and a shorter one
# is open to guessing offline from any captured request.
MIN_SECRET_BYTES = 32
KEY_ID_LABEL = b"cast-internal-key-id/v1\0"
KEY_ID_HEX_CHARS = 16


def key_id_for(secret: bytes) -> str:
    """Derive the public key id of a secret: 16 hex characters of a labelled SHA-256."""
    return hashlib.sha256(KEY_ID_LABEL + secret).hexdigest()[:KEY_ID_HEX_CHARS]


@dataclass(frozen=True)
class SigningKey:
    """One shared secret and its key id. The secret stays out of `repr`."""

    secret: bytes = field(repr=False)
    key_id: str = ""

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise InternalConfigError(
                f"internal signing secret has {len(self.secret)} bytes; use at least {MIN_SECRET_BYTES} random bytes"
            )
        if not self.key_id:
            object.__setattr__(self, "key_id", key_id_for(self.secret))

    @classmethod
    def from_text(cls, text: str) -> SigningKey:
        return cls(secret=text.encode())


@dataclass(frozen=True)
class InternalSecrets:
    """The current signing key and, during a rotation, the previous one."""

    current: SigningKey
    previous: SigningKey | None = None

    def accepted(self) -> Mapping[str, bytes]:
        """Map every accepted key id to its secret."""
        keys = {self.current.key_id: self.current.secret}
        if self.previous is not None:
            keys.setdefault(self.previous.key_id, self.previous.secret)
        return keys


def load_internal_secrets(
    settings: InternalSettings | Settings, environ: Mapping[str, str] = os.environ
) -> InternalSecrets | None:
    """Read the signing secrets from the variables the settings name.

    Returns None when the current secret's variable is unset or empty: the caller then
    keeps the internal API off. Raises InternalConfigError for a secret that is too short,
    or for a previous secret without a current one.
    """
    internal = settings.internal if isinstance(settings, Settings) else settings
    current_text = environ.get(internal.secret_env, "")
    previous_text = environ.get(internal.previous_secret_env, "")
    if not current_text:
        if previous_text:
            raise InternalConfigError(
                f"{internal.previous_secret_env} is set but {internal.secret_env} is not; "
                f"set {internal.secret_env} to the new secret, or unset both to turn the internal API off"
            )
        return None
    return InternalSecrets(
        current=_key_from_env(internal.secret_env, current_text),
        previous=_key_from_env(internal.previous_secret_env, previous_text) if previous_text else None,
    )


def _key_from_env(variable: str, text: str) -> SigningKey:
    try:
        return SigningKey.from_text(text)
    except InternalConfigError:
        raise InternalConfigError(
            f"{variable} is too short ({len(text.encode())} bytes); use at least {MIN_SECRET_BYTES} random bytes "
            "(for example the output of 'python -c \"import secrets; print(secrets.token_urlsafe(48))\"')"
        ) from None
