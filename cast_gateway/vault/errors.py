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
