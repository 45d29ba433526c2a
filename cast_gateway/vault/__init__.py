"""Secret vault: AES-256-GCM envelopes bound to their row, keyed hashes, and the key ring.

Exceptions::

    VaultError (Exception)
    ├── DecryptionError (ValueError)        a ciphertext did not open; names the row, never bytes
    ├── KeyConfigError (ValueError)         the key material or its source is unusable
    └── KeyUsageLimitError (RuntimeError)   a key reached its encryption limit; rotate it
"""

from .errors import DecryptionError, KeyConfigError, KeyUsageLimitError, VaultError
from .ring import KeyRing
from .secret_value import SecretValue
from .vault import Purpose, Vault

__all__ = [
    "Vault",
    "KeyRing",
    "Purpose",
    "SecretValue",
    "VaultError",
    "DecryptionError",
    "KeyConfigError",
    "KeyUsageLimitError",
]
