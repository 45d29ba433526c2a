"""The workspace config cache and the invalidation channel between replicas.

Values are opaque bytes: the caller encrypts them (under the vault's cache subkey)
before they reach any cache, so a raw read of the cache shows no plaintext.
"""

from .memory import MemoryCache
from .protocol import CACHE_TTL_S, ConfigCache

__all__ = ["ConfigCache", "MemoryCache", "CACHE_TTL_S"]
