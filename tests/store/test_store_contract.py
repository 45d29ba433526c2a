"""The store contract, run against every backend (see conftest: SQLite and MariaDB)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from cast_gateway.store import AuditEvent, ClientTokenRecord, ConflictError, SecretRecord, SpecRef, Store, WorkspaceRecord

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def workspace(workspace_id: str = "alpha", **overrides: object) -> WorkspaceRecord:
    values: dict[str, object] = dict(
        id=workspace_id,
        spec=SpecRef(main="api.yaml", files={"api.yaml": f"workspaces/{workspace_id}/specs/{'a' * 64}.yaml"}, sha256="b" * 64),
        base_url="https://api.example.com",
        settings={"prefix_budget": 3, "name": "Ünïcode ✓"},
        created_at=T0,
        updated_at=T0,
    )
    values.update(overrides)
    return WorkspaceRecord(**values)  # type: ignore[arg-type]


def secret(workspace_id: str = "alpha", name: str = "api_key", ciphertext: bytes = b"\x01ct", key_id: int = 1) -> SecretRecord:
    return SecretRecord(id=str(uuid.uuid4()), workspace_id=workspace_id, name=name, ciphertext=ciphertext,
                        key_id=key_id, created_at=T0, updated_at=T0)


async def test_workspace_round_trip(store: Store) -> None:
    record = workspace()
    await store.create_workspace(record)

    loaded = await store.get_workspace("alpha")

    assert loaded == record


async def test_workspace_without_spec_round_trip(store: Store) -> None:
    record = workspace(spec=None, base_url=None, settings={})
    await store.create_workspace(record)

    assert await store.get_workspace("alpha") == record


async def test_create_workspace_twice_conflicts(store: Store) -> None:
    await store.create_workspace(workspace())

    with pytest.raises(ConflictError, match="'alpha' already exists"):
        await store.create_workspace(workspace())


async def test_update_workspace_bumps_revision(store: Store) -> None:
    await store.create_workspace(workspace())
    changed = workspace(base_url="https://v2.example.com")

    updated = await store.update_workspace(changed, expected_revision=1)

    assert updated.revision == 2
    stored = await store.get_workspace("alpha")
    assert stored is not None
    assert stored.revision == 2
    assert stored.base_url == "https://v2.example.com"


async def test_update_workspace_same_values_succeeds(store: Store) -> None:
    # MySQL counts changed rows unless told to count matched rows; an unchanged write must still succeed.
    await store.create_workspace(workspace())

    updated = await store.update_workspace(workspace(), expected_revision=1)

    assert updated.revision == 2


async def test_update_workspace_stale_revision_conflicts(store: Store) -> None:
    await store.create_workspace(workspace())
    await store.update_workspace(workspace(base_url="https://v2.example.com"), expected_revision=1)

    with pytest.raises(ConflictError):
        await store.update_workspace(workspace(base_url="https://v3.example.com"), expected_revision=1)


async def test_delete_workspace_hides_and_revokes(store: Store) -> None:
    await store.create_workspace(workspace())
    await store.add_client_token(ClientTokenRecord(id=str(uuid.uuid4()), workspace_id="alpha", token_hash=b"h" * 32))

    assert await store.delete_workspace("alpha", at=T0) is True

    assert await store.get_workspace("alpha") is None
    deleted = await store.get_workspace("alpha", include_deleted=True)
    assert deleted is not None
    assert deleted.deleted_at == T0
    assert await store.find_client_token(b"h" * 32) is None
    assert await store.delete_workspace("alpha", at=T0) is False
    assert [w.id for w in await store.list_workspaces()] == []
    assert [w.id for w in await store.list_workspaces(include_deleted=True)] == ["alpha"]


async def test_deleted_workspace_id_still_conflicts(store: Store) -> None:
    await store.create_workspace(workspace())
    await store.delete_workspace("alpha", at=T0)

    with pytest.raises(ConflictError):
        await store.create_workspace(workspace())


async def test_purge_removes_old_deleted_workspaces(store: Store) -> None:
    await store.create_workspace(workspace("old"))
    await store.create_workspace(workspace("recent"))
    await store.create_workspace(workspace("live"))
    await store.put_secret(secret("old"))
    await store.delete_workspace("old", at=T0)
    await store.delete_workspace("recent", at=T0 + timedelta(days=40))

    purged = await store.purge_workspaces(T0 + timedelta(days=30))

    assert purged == ["old"]
    assert await store.get_workspace("old", include_deleted=True) is None
    assert await store.list_secrets("old") == []
    assert await store.get_workspace("recent", include_deleted=True) is not None
    assert await store.get_workspace("live") is not None


async def test_secret_round_trip_binary(store: Store) -> None:
    await store.create_workspace(workspace())
    ciphertext = bytes(range(256)) * 4
    record = secret(ciphertext=ciphertext, key_id=4_000_000_000)

    await store.put_secret(record)

    loaded = await store.get_secret("alpha", "api_key")
    assert loaded is not None
    assert loaded.ciphertext == ciphertext
    assert loaded.key_id == 4_000_000_000
    assert loaded.id == record.id


async def test_put_secret_replaces_keeping_id(store: Store) -> None:
    await store.create_workspace(workspace())
    record = secret()
    await store.put_secret(record)

    await store.put_secret(SecretRecord(id=record.id, workspace_id="alpha", name="api_key", ciphertext=b"\x01new",
                                        key_id=2, created_at=T0, updated_at=T0 + timedelta(seconds=1)))

    loaded = await store.get_secret("alpha", "api_key")
    assert loaded is not None
    assert loaded.ciphertext == b"\x01new"
    assert loaded.key_id == 2
    assert len(await store.list_secrets("alpha")) == 1


async def test_put_secret_same_value_succeeds(store: Store) -> None:
    await store.create_workspace(workspace())
    record = secret()
    await store.put_secret(record)

    await store.put_secret(record)

    assert len(await store.list_secrets("alpha")) == 1


async def test_put_secret_other_id_conflicts(store: Store) -> None:
    await store.create_workspace(workspace())
    await store.put_secret(secret())

    with pytest.raises(ConflictError, match="another id"):
        await store.put_secret(secret())


async def test_secrets_list_and_delete(store: Store) -> None:
    await store.create_workspace(workspace())
    await store.put_secret(secret(name="b"))
    await store.put_secret(secret(name="a"))

    assert [s.name for s in await store.list_secrets("alpha")] == ["a", "b"]
    assert await store.delete_secret("alpha", "a") is True
    assert await store.delete_secret("alpha", "a") is False
    assert [s.name for s in await store.list_secrets("alpha")] == ["b"]


async def test_replace_ciphertext_compare_and_set(store: Store) -> None:
    await store.create_workspace(workspace())
    record = secret(ciphertext=b"\x01old")
    await store.put_secret(record)

    assert await store.replace_secret_ciphertext(record.id, b"\x01stale", b"\x01new", 2) is False
    assert await store.replace_secret_ciphertext(record.id, b"\x01old", b"\x01new", 2) is True

    loaded = await store.get_secret("alpha", "api_key")
    assert loaded is not None
    assert loaded.ciphertext == b"\x01new"
    assert loaded.key_id == 2


async def test_list_secrets_by_key_pages(store: Store) -> None:
    await store.create_workspace(workspace())
    for index in range(5):
        await store.put_secret(secret(name=f"s{index}", key_id=1 if index % 2 == 0 else 2))

    first = await store.list_secrets_by_key([1], limit=2)
    rest = await store.list_secrets_by_key([1], limit=2, after_id=first[-1].id)

    assert len(first) == 2
    assert len(rest) == 1
    assert sorted(s.name for s in first + rest) == ["s0", "s2", "s4"]
    assert [s.id for s in first] == sorted(s.id for s in first)
    assert await store.list_secrets_by_key([], limit=10) == []


async def test_mark_secrets_used_sets_time(store: Store) -> None:
    await store.create_workspace(workspace())
    record = secret()
    await store.put_secret(record)

    await store.mark_secrets_used([record.id], T0 + timedelta(hours=1))

    loaded = await store.get_secret("alpha", "api_key")
    assert loaded is not None
    assert loaded.last_used_at == T0 + timedelta(hours=1)


async def test_client_tokens_find_and_revoke(store: Store) -> None:
    await store.create_workspace(workspace())
    token = ClientTokenRecord(id=str(uuid.uuid4()), workspace_id="alpha", token_hash=bytes(range(32)), label="ci", created_at=T0)
    await store.add_client_token(token)

    assert await store.find_client_token(bytes(range(32))) == token
    assert await store.find_client_token(b"x" * 32) is None
    assert await store.revoke_client_token("beta", token.id, at=T0) is False
    assert await store.revoke_client_token("alpha", token.id, at=T0) is True
    assert await store.find_client_token(bytes(range(32))) is None
    listed = await store.list_client_tokens("alpha")
    assert [t.revoked_at for t in listed] == [T0]


async def test_audit_newest_first_and_retention(store: Store) -> None:
    events = [
        AuditEvent(timestamp=T0 + timedelta(minutes=minute), workspace_id="alpha", tool=f"tool_{minute}",
                   status=200 if minute else None, latency_ms=1.5 * minute, client_id="c1", outcome="ok")
        for minute in range(3)
    ]
    await store.insert_audit(events)
    await store.insert_audit([])

    listed = await store.list_audit("alpha", limit=2)

    assert listed == [events[2], events[1]]
    assert await store.delete_audit_before(T0 + timedelta(minutes=1)) == 1
    assert len(await store.list_audit("alpha", limit=10)) == 2


async def test_counters_add_and_read(store: Store) -> None:
    assert await store.get_counter("vault.encryptions.1") == 0

    assert await store.add_to_counter("vault.encryptions.1", 1) == 1
    assert await store.add_to_counter("vault.encryptions.1", 5) == 6
    assert await store.get_counter("vault.encryptions.1") == 6


async def test_migrate_is_idempotent(store: Store) -> None:
    assert await store.migrate() == []
