"""`keys`: create, rotate, rewrap and retire the vault's keys.

Rotation order, so that no replica ever meets a ciphertext under a key it lacks:

1. `keys add` (or a first `keys rotate`) puts a new key in the ring, not yet primary.
2. Restart or redeploy every replica so that each loads the new ring.
3. `keys promote` (or a second `keys rotate`) makes it primary: new secrets use it.
4. Restart replicas again; then `keys rewrap` moves old rows to the primary.
5. `keys floor` (or `keys rewrap --raise-floor`) retires the old keys: they no longer decrypt.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Callable, Mapping

from ..backends import build_store, open_backends
from ..config import Settings
from ..vault import KeyRing, Purpose
from ..vault.aws import AwsRingLocation
from ..vault.keyfile import ENV_KEYS
from ..vault.rewrap import REWRAP_BATCH_SIZE, RewrapReport, count_secrets_below
from ..vault.sources import AwsRingSource, EnvRingSource, FileRingSource, RingSource, new_ring
from ..vault.usage import MAX_ENCRYPTIONS, counter_name
from ..vault.vault import Vault
from .context import run, settings_of

__all__ = ["register", "ring_source"]

EXIT_INCOMPLETE = 1

ROTATE_HELP = """\
Make a new primary key in two steps, so that every replica has the key before any
ciphertext uses it. The first run adds a key that is not yet primary: deploy or restart
every replica so that each loads it. The second run promotes that key to primary. With
--now both steps happen at once, which is safe only with a single replica. Then run
'keys rewrap' to move existing secrets to the new key.
"""


def ring_source(settings: Settings, environ: Mapping[str, str], output: Path | None = None) -> RingSource:
    """Return the ring source that `vault.source` names ("auto": the environment when set, else the key file)."""
    vault = settings.vault
    if vault.source == "aws":
        return AwsRingSource(AwsRingLocation(vault.aws_secret_id, vault.aws_region, vault.aws_endpoint_url))
    if vault.source == "env" or (vault.source == "auto" and environ.get(ENV_KEYS)):
        return EnvRingSource(environ, output)
    return FileRingSource(settings.path(vault.key_file))


def register(subcommands: Any) -> None:
    keys = subcommands.add_parser("keys", help="manage the vault's key ring", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, handler: Any, help_text: str, description: str | None = None) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(
            name, help=help_text, description=description or help_text,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument("--output", metavar="FILE",
                            help=f"with the {ENV_KEYS} source: write the changed ring here (mode 0600) to deploy")
        parser.set_defaults(handler=handler)
        return parser

    action("init", keys_init, "create the first key ring in the configured source (never overwrites)")
    action("status", keys_status, "show key ids, primary, floor, hash key, encryptions per key and rows left on old keys")
    action("add", keys_add, "add a new key that is not yet primary (step 1 of a rotation)")
    promote = action("promote", keys_promote, "make a key primary (step 2 of a rotation; every replica must have it)")
    promote.add_argument("key_id", nargs="?", type=int, metavar="KEY_ID", help="key id to promote (default: the highest)")
    rotate = action("rotate", keys_rotate, "add a new key, or promote the one added before (see the description)",
                    ROTATE_HELP)
    rotate.add_argument("--now", action="store_true", help="add and promote in one run (single replica only)")

    rewrap = action("rewrap", keys_rewrap, "re-encrypt secrets under the primary key, while the gateway serves")
    rewrap.add_argument("--workspace", metavar="ID", help="only this workspace's secrets")
    rewrap.add_argument("--batch-size", type=int, default=REWRAP_BATCH_SIZE, metavar="N",
                        help=f"rows per transaction (default {REWRAP_BATCH_SIZE})")
    rewrap.add_argument("--after", default="", metavar="SECRET_ID", help="resume after this secret id (printed by a run)")
    rewrap.add_argument("--raise-floor", action="store_true",
                        help="after a complete rewrap of every workspace, retire all keys below the primary")

    floor = action("floor", keys_floor, "retire keys below KEY_ID: their ciphertexts no longer decrypt")
    floor.add_argument("key_id", nargs="?", type=int, metavar="KEY_ID", help="the new minimum key id (default: the primary)")


def _source(args: argparse.Namespace) -> tuple[Settings, RingSource]:
    settings = settings_of(args)
    output = Path(args.output) if getattr(args, "output", None) else None
    return settings, ring_source(settings, os.environ, output)


async def _open_store(settings: Settings) -> Any:
    store = build_store(settings)
    await store.open()
    if settings.store.backend == "sqlite":
        # Like the other local commands: the embedded store is created on first use.
        await store.migrate()
    return store


def _summary(ring: KeyRing) -> str:
    staged = [key_id for key_id in ring.key_ids if key_id > ring.primary]
    return (
        f"keys {list(ring.key_ids)}, primary {ring.primary}, floor (min_key_id) {ring.min_key_id}, "
        f"hash key {ring.hash_key_id}" + (f", added but not yet primary {staged}" if staged else "")
    )


def keys_init(args: argparse.Namespace) -> int:
    _, source = _source(args)
    where = run(source.create(new_ring()))
    print(f"created a key ring with key 1 in {where}")
    return 0


def keys_status(args: argparse.Namespace) -> int:
    settings, source = _source(args)

    async def main() -> list[str]:
        ring = await source.load()
        lines = [f"{source.describe()}: {_summary(ring)}"]
        store = await _open_store(settings)
        try:
            vault = Vault.from_ring(ring)
            for key_id in ring.key_ids:
                counts = [f"{p.value} {await store.get_counter(counter_name(p, key_id))}" for p in (Purpose.COLUMN, Purpose.CACHE)]
                lines.append(f"key {key_id}: encryptions {', '.join(counts)} (limit {MAX_ENCRYPTIONS} each)")
            old_rows = await count_secrets_below(store, vault, ring.primary, limit=10_000)
            lines.append(f"secrets under keys below the primary: {old_rows}" + ("+" if old_rows == 10_000 else ""))
        finally:
            await store.close()
        return lines

    print("\n".join(run(main())))
    return 0


def _change(args: argparse.Namespace, change: Any, message: Callable[[KeyRing], str]) -> int:
    _, source = _source(args)

    async def main() -> tuple[KeyRing, str]:
        ring = change(await source.load())
        return ring, await source.save(ring)

    ring, where = run(main())
    print(f"{message(ring)}; saved to {where}\n{_summary(ring)}")
    return 0


def keys_add(args: argparse.Namespace) -> int:
    return _change(
        args, lambda ring: ring.with_new_key()[0],
        lambda ring: f"added key {max(ring.key_ids)}, not yet primary: deploy the ring to every replica, "
                     "then run 'cast-gateway keys promote'",
    )


def keys_promote(args: argparse.Namespace) -> int:
    return _change(
        args, lambda ring: ring.promoted(args.key_id if args.key_id is not None else max(ring.key_ids)),
        lambda ring: f"key {ring.primary} is now primary: restart every replica, then run 'cast-gateway keys rewrap'",
    )


def keys_rotate(args: argparse.Namespace) -> int:
    _, source = _source(args)
    ring = run(source.load())
    staged = [key_id for key_id in ring.key_ids if key_id > ring.primary]
    if staged and not args.now:
        return keys_promote(argparse.Namespace(**{**vars(args), "key_id": max(staged)}))
    if not args.now:
        return keys_add(args)
    return _change(
        args, lambda current: current.with_new_key()[0].promoted(max(current.key_ids) + 1),
        lambda current: f"added key {current.primary} and made it primary: run 'cast-gateway keys rewrap'",
    )


def _print_report(report: RewrapReport) -> None:
    print(
        f"rewrap: scanned {report.scanned}, rewrapped {report.rewrapped}, "
        f"changed concurrently {report.changed_concurrently}, failed {len(report.failures)}"
        + (f", last id {report.last_id}" if report.last_id else "")
    )
    for failure in report.failures:
        print(f"  secret {failure.secret_id} of workspace {failure.workspace_id} (key {failure.key_id}) did not decrypt")


def keys_rewrap(args: argparse.Namespace) -> int:
    if args.raise_floor and args.workspace:
        raise ValueError("--raise-floor needs a rewrap of every workspace; drop --workspace")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size {args.batch_size} must be at least 1")
    settings, source = _source(args)

    async def main() -> tuple[RewrapReport, str | None]:
        async with open_backends(settings) as backends:
            report = await backends.service.rewrap_secrets(
                args.workspace, batch_size=args.batch_size, after_id=args.after
            )
            if not (args.raise_floor and report.complete and not args.after):
                return report, None
            # Rows written while the rewrap ran use the primary, so a clean scan means none remain.
            left = await count_secrets_below(backends.store, backends.vault, backends.vault.primary)
            if left:
                return report, f"floor not raised: {left} secrets still use older keys; run 'keys rewrap' again"
            ring = (await source.load()).with_floor(backends.vault.primary)
            where = await source.save(ring)
            return report, f"floor raised to {ring.min_key_id} in {where}: restart every replica to retire older keys"

    report, floor_message = run(main())
    _print_report(report)
    if floor_message:
        print(floor_message)
    elif args.raise_floor and not report.complete:
        print("floor not raised: some secrets did not decrypt; set them again, then rerun")
    return 0 if report.complete else EXIT_INCOMPLETE


def keys_floor(args: argparse.Namespace) -> int:
    settings, source = _source(args)

    async def main() -> tuple[KeyRing, str]:
        ring = await source.load()
        floor = args.key_id if args.key_id is not None else ring.primary
        changed = ring.with_floor(floor)
        store = await _open_store(settings)
        try:
            left = await count_secrets_below(store, Vault.from_ring(ring), floor)
        finally:
            await store.close()
        if left:
            raise ValueError(f"{left} secrets still use keys below {floor}; run 'cast-gateway keys rewrap' first")
        return changed, await source.save(changed)

    ring, where = run(main())
    print(f"floor raised to {ring.min_key_id}; saved to {where}: restart every replica to retire older keys\n{_summary(ring)}")
    return 0
