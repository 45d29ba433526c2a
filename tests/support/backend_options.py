"""Build production backends (MySqlStore options, RedisCache) pointed at the test servers."""

from __future__ import annotations

import uuid

from cast_gateway.cache.redis import RedisCache
from cast_gateway.store.mysql import MySqlOptions

from support.servers import MariaDb

__all__ = ["mysql_options", "redis_cache"]


def mysql_options(server: MariaDb, **overrides: object) -> MySqlOptions:
    """MySqlOptions for `server`: TLS required and verified against its CA when the server has TLS."""
    values: dict[str, object] = dict(
        host=server.host, port=server.port, user=server.user, password=server.password, database=server.database,
        pool_size=4, tls_required=server.tls, tls_ca=str(server.ca_path),
    )
    values.update(overrides)
    return MySqlOptions(**values)  # type: ignore[arg-type]


def redis_cache(url: str) -> RedisCache:
    """A RedisCache with its own channel and key prefix, so tests sharing one Redis stay apart."""
    tag = uuid.uuid4().hex[:8]
    return RedisCache(url, channel=f"test:{tag}:invalidate", key_prefix=f"test:{tag}:config:")
