"""MySqlStore over TLS: a verified connection works, a server without TLS or with another CA is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.backend_options import mysql_options

from cast_gateway.store import StoreUnavailableError, WorkspaceRecord
from cast_gateway.store.mysql import InsecureTransportError, MySqlStore, probe_tls_support
from support.servers import MariaDb, make_tls_files

pytestmark = pytest.mark.anyio


async def test_tls_connection_is_encrypted(mariadb: MariaDb) -> None:
    store = MySqlStore(mysql_options(mariadb.new_database()))
    await store.open()
    try:
        async with store.session() as session:
            row = await session.fetchone("SHOW SESSION STATUS LIKE 'Ssl_version'")
    finally:
        await store.close()

    assert row is not None
    assert row[1].startswith("TLSv1.")


async def test_tls_server_offers_tls(mariadb: MariaDb, mariadb_plain: MariaDb) -> None:
    assert await probe_tls_support(mariadb.host, mariadb.port) is True
    assert await probe_tls_support(mariadb_plain.host, mariadb_plain.port) is False


async def test_server_without_tls_rejected(mariadb_plain: MariaDb) -> None:
    store = MySqlStore(mysql_options(mariadb_plain, tls_required=True))

    with pytest.raises(InsecureTransportError, match="does not offer TLS") as caught:
        await store.open()

    assert f"127.0.0.1:{mariadb_plain.port}" in str(caught.value)
    assert mariadb_plain.password not in str(caught.value)


async def test_server_without_tls_allowed_when_not_required(mariadb_plain: MariaDb) -> None:
    store = MySqlStore(mysql_options(mariadb_plain.new_database(), tls_required=False))
    await store.open()
    try:
        assert await store.migrate() == [1]
    finally:
        await store.close()


async def test_unknown_ca_rejected(mariadb: MariaDb, tmp_path: Path) -> None:
    other_ca = make_tls_files(tmp_path / "other").ca_path
    store = MySqlStore(mysql_options(mariadb, tls_ca=str(other_ca)))

    with pytest.raises(InsecureTransportError, match="certificate verification failed"):
        await store.open()


async def test_plaintext_login_rejected_by_server(mariadb: MariaDb) -> None:
    # require_secure_transport=ON: the fixture's server itself rejects a plaintext login.
    store = MySqlStore(mysql_options(mariadb, tls_required=False))

    with pytest.raises(StoreUnavailableError, match="connection failed"):
        await store.open()


async def test_missing_ca_file_rejected(mariadb: MariaDb, tmp_path: Path) -> None:
    store = MySqlStore(mysql_options(mariadb, tls_ca=str(tmp_path / "absent.pem")))

    with pytest.raises(Exception, match="store.tls_ca"):
        await store.open()


async def test_workspace_written_over_tls_reads_back(mariadb: MariaDb) -> None:
    store = MySqlStore(mysql_options(mariadb.new_database()))
    await store.open()
    try:
        await store.migrate()
        await store.create_workspace(WorkspaceRecord(id="alpha", spec=None))
        assert (await store.get_workspace("alpha")) is not None
    finally:
        await store.close()
