"""Workspace operations shared by the command line, the internal API and the serving path.

Every change goes through here so that it is validated once, stored in one order
(blobs, then the row) and followed by one cache eviction that reaches every replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Callable, Mapping

import orjson

from ..blobs import BlobStore, check_workspace_id
from ..cache import CACHE_TTL_S, ConfigCache
from ..openapi import CompiledSpec, SpecBundle, SpecError, compile_spec
from ..store import ClientTokenRecord, SecretRecord, SpecRef, Store, WorkspaceRecord
from ..store.errors import ConflictError
from ..store.records import from_micros, to_micros, utc_now
from ..vault import DecryptionError, KeyUsageLimitError, Purpose, SecretValue, Vault
from ..vault.rewrap import REWRAP_BATCH_SIZE, RewrapReport, rewrap_secrets
from ..vault.usage import EncryptionBudget
from .tokens import new_token, token_hash
from .tool_settings import ToolSettings, apply_tool_settings, check_tool_settings, parse_tool_settings

__all__ = ["WorkspaceService", "WorkspaceConfig", "SecretMetadata", "WorkspaceNotFoundError", "SecretNameError", "SpecChange", "WORKSPACE_PURGE_DAYS"]

logger = logging.getLogger(__name__)

WORKSPACE_PURGE_DAYS = 30
MAX_SECRET_BYTES = 16 * 1024
SPEC_EXTENSIONS = {"json": "json", "yaml": "yaml", "yml": "yaml"}
# Changes of one workspace are serialised within a process. A change that loses its
# compare-and-set to another replica is tried this many times in all, then raises ConflictError.
CHANGE_ATTEMPTS = 5


class WorkspaceNotFoundError(LookupError):
    def __init__(self, workspace_id: str) -> None:
        super().__init__(f"workspace {workspace_id!r} not found")
        self.workspace_id = workspace_id


class SecretNameError(ValueError):
    """A secret name that is empty, too long, or not a security scheme of the spec."""


@dataclass(frozen=True)
class WorkspaceConfig:
    """The store data that serving a workspace needs: its row and its secret ciphertexts."""

    record: WorkspaceRecord
    secrets: tuple[SecretRecord, ...]

    def to_bytes(self) -> bytes:
        record = self.record
        return orjson.dumps(
            {
                "id": record.id,
                "spec": record.spec.to_json() if record.spec else None,
                "base_url": record.base_url,
                "settings": dict(record.settings),
                "revision": record.revision,
                "created_at": to_micros(record.created_at),
                "updated_at": to_micros(record.updated_at),
                "secrets": [
                    {"id": s.id, "name": s.name, "ciphertext": s.ciphertext.hex(), "key_id": s.key_id,
                     "created_at": to_micros(s.created_at), "updated_at": to_micros(s.updated_at)}
                    for s in self.secrets
                ],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> WorkspaceConfig:
        raw = orjson.loads(data)
        record = WorkspaceRecord(
            id=raw["id"],
            spec=SpecRef.from_json(raw["spec"]) if raw["spec"] else None,
            base_url=raw["base_url"],
            settings=raw["settings"],
            revision=raw["revision"],
            created_at=from_micros(raw["created_at"]) or utc_now(),
            updated_at=from_micros(raw["updated_at"]) or utc_now(),
        )
        secrets = tuple(
            SecretRecord(
                id=s["id"], workspace_id=record.id, name=s["name"], ciphertext=bytes.fromhex(s["ciphertext"]),
                key_id=s["key_id"], created_at=from_micros(s["created_at"]) or utc_now(),
                updated_at=from_micros(s["updated_at"]) or utc_now(),
            )
            for s in raw["secrets"]
        )
        return cls(record=record, secrets=secrets)


@dataclass(frozen=True)
class SecretMetadata:
    """What the owner may see of a secret: never its value or ciphertext."""

    name: str
    created_at: datetime
    updated_at: datetime
    key_id: int
    last_used_at: datetime | None


@dataclass(frozen=True)
class SpecChange:
    """Tool names added, removed and changed by a spec upload."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


def _extension(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in SPEC_EXTENSIONS:
        raise SpecError(f"spec file {name!r}: unsupported extension; use .json, .yaml or .yml")
    return SPEC_EXTENSIONS[suffix]


def _tool_fingerprints(compiled: CompiledSpec) -> dict[str, bytes]:
    return {
        tool.name: orjson.dumps(
            [tool.description, tool.method, tool.path, tool.input_schema, tool.output_schema], option=orjson.OPT_SORT_KEYS
        )
        for tool in compiled.tools
    }


def diff_tools(before: CompiledSpec | None, after: CompiledSpec) -> SpecChange:
    old = _tool_fingerprints(before) if before else {}
    new = _tool_fingerprints(after)
    return SpecChange(
        added=tuple(sorted(set(new) - set(old))),
        removed=tuple(sorted(set(old) - set(new))),
        changed=tuple(sorted(name for name in set(old) & set(new) if old[name] != new[name])),
    )


class WorkspaceService:
    def __init__(
        self,
        store: Store,
        blobs: BlobStore,
        cache: ConfigCache,
        vault: Vault,
        *,
        cache_ttl_s: int = CACHE_TTL_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.cache = cache
        self.vault = vault
        self._cache_ttl_s = cache_ttl_s
        self._clock = clock
        self.budget = EncryptionBudget(store)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    # --- specs

    def compile(
        self, bundle: SpecBundle, settings: Mapping[str, Any] | None = None, base_url: str | None = None
    ) -> CompiledSpec:
        """Compile a bundle and apply the workspace's tool settings: the tools as served."""
        return apply_tool_settings(self.compile_without_tool_settings(bundle, settings, base_url), settings)

    def compile_without_tool_settings(
        self, bundle: SpecBundle, settings: Mapping[str, Any] | None = None, base_url: str | None = None
    ) -> CompiledSpec:
        """Compile a bundle to the tools as the spec defines them, before any tool settings.

        `base_url` is the workspace's upstream URL: path-item and operation servers on its
        host, or on a host of the `allowed_server_hosts` setting, are kept.
        """
        prefix_budget = int((settings or {}).get("prefix_budget", 0))
        allowed_server_hosts = (settings or {}).get("allowed_server_hosts") or ()
        compiled = compile_spec(
            bundle, prefix_budget=prefix_budget, allowed_server_hosts=allowed_server_hosts, base_url=base_url
        )
        if not compiled.tools:
            raise SpecError(f"spec {bundle.main!r}: no operations found under /paths; nothing to serve")
        return compiled

    @contextlib.asynccontextmanager
    async def _workspace_lock(self, workspace_id: str) -> AsyncIterator[None]:
        """Serialise read-modify-write changes of one workspace within this process.

        Without it, concurrent changes would mostly lose their compare-and-set and retry.
        Entries are counted and dropped when unused, so the map stays as small as the
        number of workspaces being changed right now.
        """
        lock, users = self._locks.get(workspace_id, (asyncio.Lock(), 0))
        self._locks[workspace_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[workspace_id]
            if users == 1:
                del self._locks[workspace_id]
            else:
                self._locks[workspace_id] = (lock, users - 1)

    async def _store_bundle(self, workspace_id: str, bundle: SpecBundle, compiled: CompiledSpec) -> SpecRef:
        files = {}
        digest = hashlib.sha256()
        for name in sorted(bundle.files):
            data = bundle.files[name]
            files[name] = await self.blobs.put_spec(workspace_id, data, _extension(name))
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return SpecRef(main=bundle.main, files=files, sha256=digest.hexdigest(),
                       security_schemes=tuple(sorted(compiled.security_schemes)))

    async def load_bundle(self, record: WorkspaceRecord) -> SpecBundle:
        if record.spec is None:
            raise SpecError(f"workspace {record.id!r} has no spec; upload one")
        files = {name: await self.blobs.get_spec(record.id, key) for name, key in record.spec.files.items()}
        return SpecBundle(main=record.spec.main, files=files)

    async def load_compiled(self, record: WorkspaceRecord) -> CompiledSpec:
        bundle = await self.load_bundle(record)
        # Compiling a large spec takes CPU time: keep it off the event loop.
        return await asyncio.to_thread(self.compile, bundle, record.settings, record.base_url)

    # --- workspaces

    async def create_workspace(
        self, workspace_id: str, bundle: SpecBundle, *, base_url: str | None = None, settings: Mapping[str, Any] | None = None
    ) -> tuple[WorkspaceRecord, CompiledSpec]:
        check_workspace_id(workspace_id)
        compiled = await asyncio.to_thread(self.compile, bundle, settings, base_url)
        spec_ref = await self._store_bundle(workspace_id, bundle, compiled)
        now = self._clock()
        record = WorkspaceRecord(
            id=workspace_id, spec=spec_ref, base_url=base_url, settings=dict(settings or {}), created_at=now, updated_at=now
        )
        await self.store.create_workspace(record)
        logger.info("workspace created", extra={"workspace": workspace_id, "tools": len(compiled.tools)})
        return record, compiled

    async def get_workspace(self, workspace_id: str) -> WorkspaceRecord:
        record = await self.store.get_workspace(workspace_id)
        if record is None:
            raise WorkspaceNotFoundError(workspace_id)
        return record

    async def upload_spec(self, workspace_id: str, bundle: SpecBundle) -> tuple[SpecChange, CompiledSpec]:
        """Replace a workspace's spec, compiled and validated before anything is stored.

        A compare-and-set lost to another replica is retried against the new row; after
        CHANGE_ATTEMPTS losses ConflictError reaches the caller and the row is unchanged.
        """
        async with self._workspace_lock(workspace_id):
            for attempt in range(1, CHANGE_ATTEMPTS + 1):
                record = await self.get_workspace(workspace_id)
                compiled = await asyncio.to_thread(self.compile, bundle, record.settings, record.base_url)
                spec_ref = await self._store_bundle(workspace_id, bundle, compiled)
                try:
                    before: CompiledSpec | None = await self.load_compiled(record)
                except Exception:  # the old spec may itself be unreadable; the diff then lists every tool as added
                    logger.warning("old spec of workspace %s could not be compiled for the diff", workspace_id)
                    before = None
                try:
                    await self.store.update_workspace(replace(record, spec=spec_ref), expected_revision=record.revision)
                except ConflictError:
                    if attempt == CHANGE_ATTEMPTS:
                        raise
                    logger.info("spec upload of workspace %s lost a compare-and-set (attempt %d); retrying", workspace_id, attempt)
                    continue
                await self.cache.evict(workspace_id)
                return diff_tools(before, compiled), compiled
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def set_tool_settings(self, workspace_id: str, tool_name: str, settings: ToolSettings | None) -> CompiledSpec:
        """Set (or with None, clear) the settings of one tool; return the tools as now served.

        `tool_name` is the tool's name as the spec compiles it, before any rename. New
        settings are checked against the spec (ToolSettingsError); clearing works for a
        tool that is no longer in the spec too.
        """
        async with self._workspace_lock(workspace_id):
            for attempt in range(1, CHANGE_ATTEMPTS + 1):
                record = await self.get_workspace(workspace_id)
                bundle = await self.load_bundle(record)
                bare = await asyncio.to_thread(self.compile_without_tool_settings, bundle, record.settings, record.base_url)
                by_tool = parse_tool_settings(record.settings)
                if settings is None or settings.is_default:
                    by_tool.pop(tool_name, None)
                else:
                    check_tool_settings(bare, tool_name, settings, {name: s for name, s in by_tool.items() if name != tool_name})
                    by_tool[tool_name] = settings
                new_settings = {**record.settings, "tools": {name: s.to_json() for name, s in sorted(by_tool.items())}}
                try:
                    await self.store.update_workspace(replace(record, settings=new_settings), expected_revision=record.revision)
                except ConflictError:
                    if attempt == CHANGE_ATTEMPTS:
                        raise
                    logger.info("tool settings of workspace %s lost a compare-and-set (attempt %d); retrying", workspace_id, attempt)
                    continue
                await self.cache.evict(workspace_id)
                return apply_tool_settings(bare, new_settings)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def update_workspace(
        self, workspace_id: str, *, base_url: str | None = None, settings: Mapping[str, Any] | None = None,
        expected_revision: int | None = None,
    ) -> WorkspaceRecord:
        record = await self.get_workspace(workspace_id)
        changed = replace(
            record,
            base_url=base_url if base_url is not None else record.base_url,
            settings=dict(settings) if settings is not None else record.settings,
        )
        revision = record.revision if expected_revision is None else expected_revision
        updated = await self.store.update_workspace(changed, expected_revision=revision)
        await self.cache.evict(workspace_id)
        return updated

    async def delete_workspace(self, workspace_id: str) -> bool:
        deleted = await self.store.delete_workspace(workspace_id, at=self._clock())
        await self.cache.evict(workspace_id)
        return deleted

    async def purge_deleted(self, older_than_days: int = WORKSPACE_PURGE_DAYS) -> list[str]:
        purged = await self.store.purge_workspaces(self._clock() - timedelta(days=older_than_days))
        for workspace_id in purged:
            await self.blobs.delete_workspace(workspace_id)
        return purged

    # --- secrets

    async def set_secret(self, workspace_id: str, name: str, value: str) -> SecretRecord:
        """Encrypt and store a secret; the returned record carries ciphertext only."""
        workspace = await self.get_workspace(workspace_id)
        if not name or len(name) > 191:
            raise SecretNameError(f"secret name {name[:40]!r} is invalid; use the security scheme's name from the spec")
        known = workspace.spec.security_schemes if workspace.spec else ()
        if known and name not in known:
            raise SecretNameError(
                f"workspace {workspace_id!r} has no security scheme {name[:64]!r}; its spec defines: {', '.join(known)}"
            )
        if not value:
            raise ValueError(f"secret {name!r}: the value is empty")
        if len(value.encode()) > MAX_SECRET_BYTES:
            raise ValueError(f"secret {name!r}: the value is longer than {MAX_SECRET_BYTES} bytes")
        existing = await self.store.get_secret(workspace_id, name)
        secret_id = existing.id if existing else str(uuid.uuid4())
        await self.budget.reserve(Purpose.COLUMN, self.vault.primary)
        ciphertext = self.vault.encrypt(value.encode(), purpose=Purpose.COLUMN, workspace_id=workspace_id, secret_id=secret_id)
        now = self._clock()
        record = SecretRecord(
            id=secret_id, workspace_id=workspace_id, name=name, ciphertext=ciphertext, key_id=self.vault.primary,
            created_at=existing.created_at if existing else now, updated_at=now,
        )
        await self.store.put_secret(record)
        await self._config_changed(workspace_id)
        return record

    async def delete_secret(self, workspace_id: str, name: str) -> bool:
        deleted = await self.store.delete_secret(workspace_id, name)
        await self._config_changed(workspace_id)
        return deleted

    async def _config_changed(self, workspace_id: str) -> None:
        """Bump the revision and evict: the revision is how gateways without a shared cache notice."""
        await self.store.touch_workspace(workspace_id, at=self._clock())
        await self.cache.evict(workspace_id)

    async def list_secret_metadata(self, workspace_id: str) -> list[SecretMetadata]:
        """Names and dates of a workspace's secrets, by name; values never leave the vault here."""
        await self.get_workspace(workspace_id)
        return [
            SecretMetadata(
                name=s.name, created_at=s.created_at, updated_at=s.updated_at, key_id=s.key_id, last_used_at=s.last_used_at
            )
            for s in await self.store.list_secrets(workspace_id)
        ]

    async def record_secret_use(self, secret_ids: list[str]) -> None:
        """Stamp `last_used_at` on secrets that an upstream call used."""
        await self.store.mark_secrets_used(secret_ids, self._clock())

    async def rewrap_secrets(
        self, workspace_id: str | None = None, *, batch_size: int = REWRAP_BATCH_SIZE, after_id: str = ""
    ) -> RewrapReport:
        """Re-encrypt secrets under the primary key, evicting each changed workspace's cached config."""

        async def evict(_report: RewrapReport, workspace_ids: frozenset[str]) -> None:
            for changed in sorted(workspace_ids):
                await self.cache.evict(changed)

        return await rewrap_secrets(
            self.store, self.vault, self.budget, workspace_id=workspace_id, batch_size=batch_size, after_id=after_id,
            on_batch=evict,
        )

    def decrypt_secret(self, record: SecretRecord) -> SecretValue:
        """Plaintext for the upstream call only; raises DecryptionError naming the row."""
        plaintext = self.vault.decrypt(
            record.ciphertext, purpose=Purpose.COLUMN, workspace_id=record.workspace_id, secret_id=record.id
        )
        return SecretValue(plaintext.decode())

    # --- client tokens

    async def create_token(self, workspace_id: str, label: str = "") -> tuple[ClientTokenRecord, str]:
        """Create a client token. The plaintext is returned this once and never stored."""
        await self.get_workspace(workspace_id)
        token = new_token()
        record = ClientTokenRecord(
            id=str(uuid.uuid4()), workspace_id=workspace_id, token_hash=token_hash(self.vault, token), label=label,
            created_at=self._clock(),
        )
        await self.store.add_client_token(record)
        return record, token

    async def revoke_token(self, workspace_id: str, token_id: str) -> bool:
        revoked = await self.store.revoke_client_token(workspace_id, token_id, at=self._clock())
        # Every gateway that notices the change drops the workspace's cached token lookups.
        await self._config_changed(workspace_id)
        return revoked

    async def find_token(self, token: str) -> ClientTokenRecord | None:
        return await self.store.find_client_token(token_hash(self.vault, token))

    # --- serving config, through the cache

    async def load_config(self, workspace_id: str) -> WorkspaceConfig:
        """Load the workspace row and secret ciphertexts from the cache, or else from the store."""
        cached = await self.cache.get(workspace_id)
        if cached is not None:
            try:
                plaintext = self.vault.decrypt(
                    cached, purpose=Purpose.CACHE, workspace_id=workspace_id, secret_id="config", field="config"
                )
                return WorkspaceConfig.from_bytes(plaintext)
            except (DecryptionError, ValueError, KeyError):
                logger.warning("cached config of workspace %s is unreadable; reloading from the store", workspace_id)

        record = await self.get_workspace(workspace_id)
        config = WorkspaceConfig(record=record, secrets=tuple(await self.store.list_secrets(workspace_id)))
        try:
            await self.budget.reserve(Purpose.CACHE, self.vault.primary)
        except KeyUsageLimitError:
            # Serving from the store still works; only the cache stops until the key rotates.
            logger.error("cache key %d is at its encryption limit; workspace %s served uncached",
                         self.vault.primary, workspace_id)
            return config
        sealed = self.vault.encrypt(
            config.to_bytes(), purpose=Purpose.CACHE, workspace_id=workspace_id, secret_id="config", field="config"
        )
        await self.cache.set(workspace_id, sealed, self._cache_ttl_s)
        return config
