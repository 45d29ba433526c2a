"""Build the store, blob store, cache and vault that the settings name."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from typing import AsyncIterator, Mapping

from .blobs import BlobStore
from .blobs.local import LocalBlobStore
from .cache import ConfigCache, MemoryCache
from .config import ConfigError, Settings
from .store import Store
from .store.sqlite import SqliteStore
from .vault import Vault
from .vault.aws import AwsRingLocation
from .vault.keyfile import vault_from_sources
from .vault.sources import AwsRingSource, load_ring_blocking
from .workspaces.service import WorkspaceService

__all__ = ["Backends", "open_backends", "build_vault"]

logger = logging.getLogger(__name__)


@dataclass
class Backends:
    settings: Settings
    store: Store
    blobs: BlobStore
    cache: ConfigCache
    vault: Vault
    service: WorkspaceService


def build_vault(settings: Settings, environ: Mapping[str, str] = os.environ) -> Vault:
    source = settings.vault.source
    key_file = settings.path(settings.vault.key_file) if settings.vault.key_file else None
    if source in ("auto", "env", "file"):
        if source == "env" and not environ.get("CAST_VAULT_KEYS"):
            raise ConfigError("vault.source = 'env' but CAST_VAULT_KEYS is not set")
        return vault_from_sources(None if source == "env" else key_file, {} if source == "file" else environ,
                                  create_missing=settings.vault.create_key_file)
    if source == "aws":
        vault_settings = settings.vault
        location = AwsRingLocation(vault_settings.aws_secret_id, vault_settings.aws_region, vault_settings.aws_endpoint_url)
        return Vault.from_ring(load_ring_blocking(AwsRingSource(location)))
    raise ConfigError(f"vault.source = {source!r} is not available in this build")


def build_store(settings: Settings, environ: Mapping[str, str] = os.environ) -> Store:
    if settings.store.backend == "sqlite":
        return SqliteStore(settings.path(settings.store.path))
    if settings.store.backend == "mysql":
        from .store.mysql import MySqlStore

        return MySqlStore.from_settings(settings.store, environ)
    raise ConfigError(f"store.backend = {settings.store.backend!r} is not available in this build")


def build_blobs(settings: Settings, environ: Mapping[str, str] = os.environ) -> BlobStore:
    if settings.blobs.backend == "local":
        return LocalBlobStore(settings.path(settings.blobs.path))
    if settings.blobs.backend == "s3":
        from .blobs.s3 import S3BlobStore

        return S3BlobStore.from_settings(settings.blobs, environ)
    raise ConfigError(f"blobs.backend = {settings.blobs.backend!r} is not available in this build")


def build_cache(settings: Settings, environ: Mapping[str, str] = os.environ) -> ConfigCache:
    if settings.cache.backend == "memory":
        return MemoryCache()
    if settings.cache.backend == "redis":
        from .cache.redis import RedisCache

        return RedisCache.from_settings(settings.cache, environ)
    raise ConfigError(f"cache.backend = {settings.cache.backend!r} is not available in this build")


@contextlib.asynccontextmanager
async def open_backends(settings: Settings, *, migrate: bool = False) -> AsyncIterator[Backends]:
    """Open every backend; with `migrate`, apply pending store migrations first."""
    vault = build_vault(settings)
    store = build_store(settings)
    blobs = build_blobs(settings)
    cache = build_cache(settings)
    async with contextlib.AsyncExitStack() as stack:
        await store.open()
        stack.push_async_callback(store.close)
        if migrate:
            applied = await store.migrate()
            if applied:
                logger.info("store migrations applied: %s", applied)
        await blobs.open()
        stack.push_async_callback(blobs.close)
        await cache.open()
        stack.push_async_callback(cache.close)
        service = WorkspaceService(store, blobs, cache, vault, cache_ttl_s=settings.cache.ttl_s)
        yield Backends(settings=settings, store=store, blobs=blobs, cache=cache, vault=vault, service=service)
