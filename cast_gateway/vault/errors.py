"""The vault's exception tree (drawn in the package docstring)."""


class VaultError(Exception):
    """Base of every vault failure."""


class DecryptionError(VaultError, ValueError):
    """A ciphertext failed to open.

    The message names the workspace and secret only: which check failed (version, key id,
    tag) is deliberately not said, so the error cannot serve as an oracle.
    """

    def __init__(self, workspace_id: str, secret_id: str, field: str = "value") -> None:
        super().__init__(
            f"secret {secret_id!r} field {field!r} of workspace {workspace_id!r} could not be decrypted; "
            "set the secret again or check that the gateway has the key it was encrypted with"
        )
        self.workspace_id = workspace_id
        self.secret_id = secret_id
        self.field = field


class KeyConfigError(VaultError, ValueError):
    """The key material, or the place it is read from, is unusable."""


class KeyUsageLimitError(VaultError, RuntimeError):
    """A key has done as many encryptions as random 96-bit nonces safely allow."""

    def __init__(self, purpose: str, key_id: int, count: int, limit: int) -> None:
        super().__init__(
            f"vault key {key_id} ({purpose}) has reached {count} encryptions, over the limit of {limit} "
            "for random nonces; rotate with 'cast-gateway keys rotate' and then 'cast-gateway keys rewrap'"
        )
        self.purpose = purpose
        self.key_id = key_id
        self.count = count
        self.limit = limit
