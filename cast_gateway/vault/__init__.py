"""Secret vault: AES-256-GCM envelopes bound to their row, and keyed hashes.

Exceptions::

    VaultError (Exception)
    ├── DecryptionError (ValueError)   a ciphertext did not open; names the row, never bytes
    └── KeyConfigError (ValueError)    the key material or its source is unusable
"""

from .errors import DecryptionError, KeyConfigError, VaultError
from .secret_value import SecretValue
from .vault import Purpose, Vault

__all__ = ["Vault", "Purpose", "SecretValue", "VaultError", "DecryptionError", "KeyConfigError"]
