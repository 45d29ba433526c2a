"""Production backends benchmark: cold workspace load and warm config load.

Run from the repository root::

    .venv/bin/python bench/backends.py [--cold 50] [--warm 5000]

The script starts its own MariaDB (TLS, require_secure_transport=ON), Redis and moto S3
server on 127.0.0.1 with the test fixtures' launchers, and stops each by its PID.

- cold load: the cache entry is evicted, then `WorkspaceService.load_config` (Redis miss,
  MySQL over TLS, seal and store in Redis) and `load_compiled` (spec from S3, compile) of
  a 100-operation OpenAPI 3.0 spec.
- warm load: `load_config` served from Redis, AES-GCM decrypt and parse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from cast_gateway.blobs.s3 import S3BlobStore, S3Options  # noqa: E402
from cast_gateway.cache.redis import RedisCache  # noqa: E402
from cast_gateway.openapi import SpecBundle  # noqa: E402
from cast_gateway.store.mysql import MySqlStore  # noqa: E402
from cast_gateway.vault import Purpose, Vault  # noqa: E402
from cast_gateway.workspaces.service import WorkspaceConfig, WorkspaceService  # noqa: E402
from support import servers  # noqa: E402
from support.backend_options import mysql_options  # noqa: E402

OPERATIONS = 100


def spec_with_operations(count: int = OPERATIONS) -> bytes:
    """Build an OpenAPI 3.0 document with `count` operations: a GET and a POST per path."""
    paths: dict[str, object] = {}
    for index in range(count // 2):
        paths[f"/items{index}/{{item_id}}"] = {
            "get": {
                "operationId": f"getItem{index}",
                "summary": f"Read item {index}",
                "parameters": [
                    {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "fields", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Item"}}}}},
            },
            "post": {
                "operationId": f"updateItem{index}",
                "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Item"}}}},
                "responses": {"200": {"description": "ok"}},
            },
        }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "bench", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": {"Item": {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
            "price": {"type": "number"}}, "required": ["id"]}}},
    }
    return orjson.dumps(document)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def measure(service: WorkspaceService, cold_runs: int, warm_runs: int) -> dict[str, list[float]]:
    workspace_id = "bench"
    bundle = SpecBundle(main="api.json", files={"api.json": spec_with_operations()})
    record, compiled = await service.create_workspace(workspace_id, bundle, base_url="https://api.example.com")
    assert len(compiled.tools) == OPERATIONS, len(compiled.tools)
    await service.set_secret(workspace_id, "api_key", "bench-secret-value")

    cold: list[float] = []
    for _run in range(cold_runs):
        await service.cache.evict(workspace_id)
        started = time.perf_counter()
        config = await service.load_config(workspace_id)
        await service.load_compiled(config.record)
        cold.append((time.perf_counter() - started) * 1000)

    await service.load_config(workspace_id)
    warm: list[float] = []
    for _run in range(warm_runs):
        started = time.perf_counter()
        await service.load_config(workspace_id)
        warm.append((time.perf_counter() - started) * 1000)

    # The two parts of a warm load, apart: the Redis round trip, and decrypt + parse.
    redis_get: list[float] = []
    for _run in range(warm_runs):
        started = time.perf_counter()
        sealed = await service.cache.get(workspace_id)
        redis_get.append((time.perf_counter() - started) * 1000)
    assert sealed is not None
    decrypt: list[float] = []
    for _run in range(warm_runs):
        started = time.perf_counter()
        WorkspaceConfig.from_bytes(service.vault.decrypt(
            sealed, purpose=Purpose.CACHE, workspace_id=workspace_id, secret_id="config", field="config"))
        decrypt.append((time.perf_counter() - started) * 1000)
    return {"cold": cold, "warm": warm, "redis GET": redis_get, "decrypt + parse": decrypt}


async def run(args: argparse.Namespace, folder: Path) -> dict[str, list[float]]:
    for name, value in servers.AWS_TEST_ENV.items():
        os.environ[name] = value
    template = servers._install_datadir(folder)
    (folder / "mariadb").mkdir()
    mariadb = servers.start_mariadb(folder / "mariadb", template, servers.make_tls_files(folder / "tls"), tls=True)
    redis = servers.start_redis(folder / "redis")
    moto, endpoint = servers.start_moto(folder / "moto")
    try:
        store = MySqlStore(mysql_options(mariadb, pool_size=10))
        blobs = S3BlobStore(S3Options(bucket="bench-specs", endpoint_url=endpoint))
        cache = RedisCache(redis.url)
        await store.open()
        await store.migrate()
        await blobs.open()
        await blobs._require().create_bucket(Bucket="bench-specs")
        await cache.open()
        try:
            service = WorkspaceService(store, blobs, cache, Vault({1: os.urandom(32)}, 1))
            return await measure(service, args.cold, args.warm)
        finally:
            await cache.close()
            await blobs.close()
            await store.close()
    finally:
        moto.stop()
        redis.stop()
        mariadb.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=50, help="cold loads to time")
    parser.add_argument("--warm", type=int, default=5000, help="warm loads to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cast-bench-") as folder:
        results = asyncio.run(run(args, Path(folder)))
    targets = {"cold": "<= 200 ms each", "warm": "p99 <= 1 ms"}
    for name, samples in results.items():
        print(f"{name} ({len(samples)} runs): median {statistics.median(samples):.3f} ms, "
              f"p99 {percentile(samples, 0.99):.3f} ms, max {max(samples):.3f} ms; target {targets.get(name, '-')}")


if __name__ == "__main__":
    main()
