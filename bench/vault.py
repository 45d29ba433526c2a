"""Vault benchmark: encrypt + decrypt of one secret, and rewrap throughput.

Run from the repository root::

    .venv/bin/python bench/vault.py [--rows 20000] [--no-mariadb]

The rewrap figure is measured on SQLite (a temporary file) and on a throwaway MariaDB
with TLS that the script starts on 127.0.0.1 from the test fixtures' launcher (its
InnoDB runs with innodb_flush_log_at_trx_commit=0), stopped by its PID at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "vault")]

from cast_gateway.store.mysql import MySqlOptions, MySqlStore  # noqa: E402
from cast_gateway.store.sql import SqlStore  # noqa: E402
from cast_gateway.store.sqlite import SqliteStore  # noqa: E402
from cast_gateway.vault import KeyRing, Purpose, Vault  # noqa: E402
from vault_helpers import make_service, seed_secrets  # type: ignore[import-not-found]  # noqa: E402

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))
SECRET_ID = "0b9e0f3c-6f1e-4c8e-9a51-2f3b1f2c9d11"
VALUE = b"sk_live_51HxExampleExampleExampleExample"


def bench_round_trip(pairs_per_sample: int = 1000, samples: int = 200) -> float:
    """Median microseconds for one encrypt + decrypt, over `samples` timed batches."""
    vault = Vault({1: KEY_1}, 1)
    encrypt, decrypt = vault.encrypt, vault.decrypt
    results = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(pairs_per_sample):
            sealed = encrypt(VALUE, purpose=Purpose.COLUMN, workspace_id="ws-bench", secret_id=SECRET_ID)
            decrypt(sealed, purpose=Purpose.COLUMN, workspace_id="ws-bench", secret_id=SECRET_ID)
        results.append((time.perf_counter() - start) / pairs_per_sample * 1e6)
    return statistics.median(results)


async def bench_rewrap(store: SqlStore, folder: Path, rows: int) -> float:
    """Rows per second for a full rewrap from key 1 to key 2."""
    await store.open()
    await store.migrate()
    try:
        per_workspace = 100
        workspaces = [f"ws{number:05d}" for number in range(rows // per_workspace)]
        await seed_secrets(store, Vault({1: KEY_1}, 1), workspaces, per_workspace)
        ring = KeyRing(keys={1: KEY_1, 2: KEY_2}, primary=2)
        service = make_service(store, Vault.from_ring(ring), folder)
        start = time.perf_counter()
        report = await service.rewrap_secrets()
        elapsed = time.perf_counter() - start
        assert report.complete and report.rewrapped == len(workspaces) * per_workspace, report
        return report.rewrapped / elapsed
    finally:
        await store.close()


def start_mariadb(folder: Path):  # type: ignore[no-untyped-def]
    from support import servers

    template = servers._install_datadir(folder)
    tls_files = servers.make_tls_files(folder / "tls")
    server_folder = folder / "m"
    server_folder.mkdir()
    return servers.start_mariadb(server_folder, template, tls_files, tls=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000, help="rows to rewrap (default 20000)")
    parser.add_argument("--no-mariadb", action="store_true", help="measure rewrap on SQLite only")
    args = parser.parse_args()

    print(f"encrypt + decrypt, one {len(VALUE)}-byte secret: median {bench_round_trip():.2f} us")
    with tempfile.TemporaryDirectory(prefix="vb-", dir="/tmp") as temp:
        folder = Path(temp)
        rate = asyncio.run(bench_rewrap(SqliteStore(folder / "bench.db"), folder, args.rows))
        print(f"rewrap on SQLite: {args.rows} rows, {rate:,.0f} rows/s")
        if args.no_mariadb:
            return
        server = start_mariadb(folder)
        try:
            options = MySqlOptions(
                host=server.host, port=server.port, user=server.user, password=server.password,
                database=server.database, pool_size=4, tls_required=True, tls_ca=str(server.ca_path),
            )
            rate = asyncio.run(bench_rewrap(MySqlStore(options), folder, args.rows))
            print(f"rewrap on MariaDB (TLS, 127.0.0.1): {args.rows} rows, {rate:,.0f} rows/s")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
