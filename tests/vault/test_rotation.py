"""Rotation and rewrap: old rows keep decrypting, rewrap moves them, the floor retires the old key."""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path

import pytest

from cast_gateway.cache import MemoryCache
from cast_gateway.store import WorkspaceRecord
from cast_gateway.store.sqlite import SqliteStore
from cast_gateway.vault import DecryptionError, KeyRing, KeyUsageLimitError, Purpose, Vault
from cast_gateway.vault.rewrap import count_secrets_below
from cast_gateway.vault.usage import MAX_ENCRYPTIONS, WARN_ENCRYPTIONS, counter_name
from cast_gateway.workspaces.service import WorkspaceService
from vault_helpers import KEY_1, KEY_2, make_service, secret_value, seed_secrets

pytestmark = pytest.mark.anyio

RING_1 = KeyRing(keys={1: KEY_1}, primary=1)
RING_ADDED = KeyRing(keys={1: KEY_1, 2: KEY_2}, primary=1)  # step 1: key 2 on every replica
RING_PROMOTED = RING_ADDED.promoted(2)  # step 2
RING_RETIRED = RING_PROMOTED.with_floor(2)  # after a full rewrap
CALL_DEADLINE_S = 120.0


async def call_workspace(service: WorkspaceService, workspace_id: str, per_workspace: int) -> int:
    """What a tool call does with secrets: load the config, decrypt each secret, compare it."""
    config = await service.load_config(workspace_id)
    assert len(config.secrets) == per_workspace
    for record in config.secrets:
        index = int(record.id.rsplit("s", 1)[1])
        value = service.decrypt_secret(record)
        expected = secret_value(workspace_id, index)
        if value.reveal() != expected and not value.reveal().startswith("replaced-"):
            raise AssertionError(f"secret {record.id} decrypted to the wrong value")
    return len(config.secrets)


async def test_rewrap_ten_thousand_rows_while_calls_run(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    workspaces = [f"ws{number:03d}" for number in range(100)]
    per_workspace = 100
    await seed_secrets(sqlite_store, Vault.from_ring(RING_1), workspaces, per_workspace)
    token_service = make_service(sqlite_store, Vault.from_ring(RING_1), tmp_path)
    await sqlite_store.create_workspace(WorkspaceRecord(id="tokens", spec=None))
    _, token = await token_service.create_token("tokens")

    # Two replicas share the cache: one still on the added-not-promoted ring, one promoted.
    cache = MemoryCache()
    lagging = make_service(sqlite_store, Vault.from_ring(RING_ADDED), tmp_path, cache)
    promoted = make_service(sqlite_store, Vault.from_ring(RING_PROMOTED), tmp_path, cache)
    done = asyncio.Event()
    calls = {"count": 0, "secrets": 0}

    async def caller(service: WorkspaceService, seed: int) -> None:
        chooser = random.Random(seed)
        while not done.is_set() or calls["count"] < 20:
            calls["secrets"] += await call_workspace(service, chooser.choice(workspaces), per_workspace)
            calls["count"] += 1

    async def writer() -> None:
        # Setting a secret during the rewrap re-encrypts it; the rewrap must not overwrite it.
        # Writes come from the promoted replica: a replica still on the old primary would
        # write key-1 rows, which is why every replica restarts before the rewrap.
        for number in range(20):
            await promoted.set_secret(workspaces[number * 5], "scheme7", f"replaced-{number}")

    async def rewrap() -> object:
        try:
            return await promoted.rewrap_secrets(batch_size=250)
        finally:
            done.set()

    async with asyncio.timeout(CALL_DEADLINE_S):
        results = await asyncio.gather(rewrap(), caller(lagging, 1), caller(promoted, 2), writer())
    report = results[0]

    assert report.complete
    assert report.scanned >= 10_000 - 20
    assert report.rewrapped + report.changed_concurrently == report.scanned
    assert calls["count"] >= 40
    assert await count_secrets_below(sqlite_store, Vault.from_ring(RING_PROMOTED), 2) == 0

    # The floor retires key 1: every row still opens, an old key-1 ciphertext does not.
    retired = make_service(sqlite_store, Vault.from_ring(RING_RETIRED), tmp_path)
    for workspace_id in workspaces[:10]:
        assert await call_workspace(retired, workspace_id, per_workspace) == per_workspace
    old = Vault.from_ring(RING_1).encrypt(b"v", purpose=Purpose.COLUMN, workspace_id="ws000", secret_id="ws000-s00001")
    with pytest.raises(DecryptionError):
        retired.vault.decrypt(old, purpose=Purpose.COLUMN, workspace_id="ws000", secret_id="ws000-s00001")

    # Client tokens hash under the hash key, which stayed key 1 through the rotation.
    assert await retired.find_token(token) is not None


async def test_rewrap_resumes_after_interruption(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    await seed_secrets(sqlite_store, Vault.from_ring(RING_1), ["wsa", "wsb"], 30)
    service = make_service(sqlite_store, Vault.from_ring(RING_PROMOTED), tmp_path)
    batches = 0

    async def stop_after_two(report: object, workspace_ids: frozenset[str]) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise KeyboardInterrupt

    from cast_gateway.vault.rewrap import rewrap_secrets

    with pytest.raises(KeyboardInterrupt):
        await rewrap_secrets(sqlite_store, service.vault, service.budget, batch_size=10, on_batch=stop_after_two)
    assert await count_secrets_below(sqlite_store, service.vault, 2) == 40

    report = await service.rewrap_secrets(batch_size=10)

    assert report.complete
    assert report.rewrapped == 40
    assert await count_secrets_below(sqlite_store, service.vault, 2) == 0


async def test_rewrap_one_workspace_only(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    await seed_secrets(sqlite_store, Vault.from_ring(RING_1), ["wsa", "wsb"], 5)
    service = make_service(sqlite_store, Vault.from_ring(RING_PROMOTED), tmp_path)

    report = await service.rewrap_secrets("wsa", batch_size=2)

    assert (report.scanned, report.rewrapped) == (5, 5)
    assert {s.key_id for s in await sqlite_store.list_secrets("wsa")} == {2}
    assert {s.key_id for s in await sqlite_store.list_secrets("wsb")} == {1}


async def test_rewrap_reports_rows_that_do_not_decrypt(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    await seed_secrets(sqlite_store, Vault.from_ring(RING_1), ["wsa"], 3)
    # A row copied onto another secret's id fails its tag check and stays as it is.
    good = await sqlite_store.get_secret("wsa", "scheme0")
    assert good is not None
    await sqlite_store.replace_secret_ciphertext("wsa-s00001", (await sqlite_store.get_secret("wsa", "scheme1")).ciphertext,
                                                 good.ciphertext, 1)
    service = make_service(sqlite_store, Vault.from_ring(RING_PROMOTED), tmp_path)

    report = await service.rewrap_secrets()

    assert not report.complete
    assert [(f.workspace_id, f.secret_id, f.key_id) for f in report.failures] == [("wsa", "wsa-s00001", 1)]
    assert report.rewrapped == 2


async def test_encryption_counter_warns_then_refuses(
    sqlite_store: SqliteStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await sqlite_store.create_workspace(WorkspaceRecord(id="wsa", spec=None))
    service = make_service(sqlite_store, Vault.from_ring(RING_1), tmp_path)
    name = counter_name(Purpose.COLUMN, 1)
    await sqlite_store.add_to_counter(name, WARN_ENCRYPTIONS - 1)

    with caplog.at_level(logging.WARNING, logger="cast_gateway.vault.usage"):
        await service.set_secret("wsa", "api_key", "first")
        await service.set_secret("wsa", "api_key", "second")
    warnings = [r for r in caplog.records if r.name == "cast_gateway.vault.usage"]
    assert len(warnings) == 1
    assert "rotate" in warnings[0].getMessage()

    await sqlite_store.add_to_counter(name, MAX_ENCRYPTIONS - WARN_ENCRYPTIONS - 1)
    with pytest.raises(KeyUsageLimitError, match="keys rotate"):
        await service.set_secret("wsa", "api_key", "third")
    stored = await sqlite_store.get_secret("wsa", "api_key")
    assert stored is not None
    assert service.decrypt_secret(stored).reveal() == "second"


async def test_secret_metadata_lists_no_values(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    await sqlite_store.create_workspace(WorkspaceRecord(id="wsa", spec=None))
    service = make_service(sqlite_store, Vault.from_ring(RING_1), tmp_path)
    record = await service.set_secret("wsa", "api_key", "sk_meta_value")
    await service.record_secret_use([record.id])

    listing = await service.list_secret_metadata("wsa")

    assert [(m.name, m.key_id) for m in listing] == [("api_key", 1)]
    assert listing[0].last_used_at is not None
    assert "sk_meta_value" not in repr(listing)
    assert not hasattr(listing[0], "ciphertext")


async def test_batched_replace_skips_rows_changed_since_read(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    await seed_secrets(sqlite_store, Vault.from_ring(RING_1), ["wsa"], 3)
    rows = await sqlite_store.list_secrets("wsa")

    replaced = await sqlite_store.replace_secret_ciphertexts(
        [(rows[0].id, rows[0].ciphertext, b"new-0", 2), (rows[1].id, b"stale", b"new-1", 2)]
    )

    assert replaced == 1
    after = {row.id: row for row in await sqlite_store.list_secrets("wsa")}
    assert (after[rows[0].id].ciphertext, after[rows[0].id].key_id) == (b"new-0", 2)
    assert (after[rows[1].id].ciphertext, after[rows[1].id].key_id) == (rows[1].ciphertext, 1)
