"""A ciphertext copied onto another secret's row, or another workspace's, does not decrypt.

The copy is made with plain SQL, as someone with write access to the database would, on
SQLite and on a real MariaDB row.
"""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from cast_gateway.store import WorkspaceRecord
from cast_gateway.store.mysql import MySqlOptions, MySqlStore
from cast_gateway.store.sql import SqlStore
from cast_gateway.store.sqlite import SqliteStore
from cast_gateway.vault import DecryptionError, Vault
from support.servers import MariaDb
from vault_helpers import KEY_1, make_service

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", "mariadb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    backend: SqlStore
    if request.param == "sqlite":
        backend = SqliteStore(tmp_path / "cast.db")
    else:
        server: MariaDb = request.getfixturevalue("mariadb").new_database("aad")
        backend = MySqlStore(
            MySqlOptions(
                host=server.host, port=server.port, user=server.user, password=server.password, database=server.database,
                pool_size=2, tls_required=True, tls_ca=str(server.ca_path),
            )
        )
    await backend.open()
    await backend.migrate()
    try:
        yield backend
    finally:
        await backend.close()


async def copy_ciphertext(store: SqlStore, source_id: str, target_id: str) -> None:
    async with store.transaction() as session:
        row = await session.fetchone("SELECT ciphertext FROM secrets WHERE id = ?", [source_id])
        assert row is not None
        await session.execute("UPDATE secrets SET ciphertext = ? WHERE id = ?", [bytes(row[0]), target_id])


async def test_copied_ciphertext_fails_to_decrypt(store: SqlStore, tmp_path: Path, planted_secrets) -> None:  # type: ignore[no-untyped-def]
    service = make_service(store, Vault({1: KEY_1}, 1), tmp_path)
    for workspace_id in ("victim", "attacker"):
        await store.create_workspace(WorkspaceRecord(id=workspace_id, spec=None))
    victim_key = await service.set_secret("victim", "stripe", planted_secrets.plant("victim"))
    victim_other = await service.set_secret("victim", "github", planted_secrets.plant("other"))
    attacker_key = await service.set_secret("attacker", "stripe", planted_secrets.plant("attacker"))

    await copy_ciphertext(store, victim_key.id, attacker_key.id)
    await copy_ciphertext(store, victim_key.id, victim_other.id)

    for workspace_id, name, secret_id in (
        ("attacker", "stripe", attacker_key.id),
        ("victim", "github", victim_other.id),
    ):
        record = await store.get_secret(workspace_id, name)
        assert record is not None
        with pytest.raises(DecryptionError) as caught:
            service.decrypt_secret(record)
        assert caught.value.workspace_id == workspace_id
        assert caught.value.secret_id == secret_id
        planted_secrets.check_exception(caught.value)

    untouched = await store.get_secret("victim", "stripe")
    assert untouched is not None
    assert service.decrypt_secret(untouched).reveal().startswith("planted_victim_")
