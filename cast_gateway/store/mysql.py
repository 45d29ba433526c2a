"""The production store: MySQL or MariaDB through an aiomysql connection pool, over verified TLS.

aiomysql (like PyMySQL) silently falls back to plaintext when the server does not offer
TLS, even when the client passed an SSL context. So with `tls_required` this store reads
the server's greeting before it sends any credentials and rejects a server that does not
offer TLS, and it checks every pooled connection for a TLS transport before using it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import struct
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Mapping, Sequence

import aiomysql
import pymysql
from pymysql.constants import CLIENT
from pymysql.converters import escape_bytes

from ..config import ConfigError
from .errors import StoreError, StoreUnavailableError
from .sql import Row, Session, SqlStore

__all__ = ["MySqlStore", "MySqlOptions", "InsecureTransportError", "probe_tls_support", "MIGRATION_LOCK_TIMEOUT_S"]

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
# Idle connections older than this are replaced, so a server's wait_timeout or a load
# balancer's idle cut never hands the store a dead connection.
POOL_RECYCLE_S = 300
MIGRATION_LOCK_TIMEOUT_S = 60
MIGRATION_LOCK_NAME = "cast_gateway_migrate"
# Client errors of PyMySQL that mean the server is unreachable or the connection died:
# 2003 cannot connect, 2006 server has gone away, 2013 lost connection during query.
CONNECTION_ERROR_CODES = frozenset({2003, 2006, 2013})


class InsecureTransportError(StoreUnavailableError):
    """The server does not offer TLS (or a connection came up without it) while TLS is required."""


@dataclass(frozen=True)
class MySqlOptions:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str
    pool_size: int = 10
    tls_required: bool = True
    tls_ca: str = ""  # PEM file of the CA that issued the server's certificate; "" uses the system's CAs
    connect_timeout_s: float = CONNECT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.pool_size < 1:
            raise ValueError(f"store.pool_size = {self.pool_size!r} must be at least 1")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _tls_context(options: MySqlOptions) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=options.tls_ca or None)
    except (OSError, ssl.SSLError) as exc:
        raise StoreError(
            f"store.tls_ca = {options.tls_ca!r} could not be loaded ({exc.__class__.__name__}); "
            "point it at the PEM file of the CA that issued the MySQL server's certificate"
        ) from None
    context.check_hostname = True
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def probe_tls_support(host: str, port: int, timeout_s: float = CONNECT_TIMEOUT_S) -> bool:
    """Read the server's handshake packet and return whether it offers TLS; sends nothing."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    except (OSError, asyncio.TimeoutError) as exc:
        raise StoreUnavailableError(f"MySQL server {host}:{port} cannot be reached ({exc.__class__.__name__}: {exc})") from None
    try:
        header = await asyncio.wait_for(reader.readexactly(4), timeout_s)
        length = header[0] | header[1] << 8 | header[2] << 16
        payload = await asyncio.wait_for(reader.readexactly(length), timeout_s)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
        raise StoreUnavailableError(f"MySQL server {host}:{port} sent no handshake ({exc.__class__.__name__})") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if not payload or payload[0] == 0xFF:
        # An error packet before the handshake: too many connections, host blocked and the like.
        message = payload[3:].decode("utf-8", "replace")[:200] if payload else "empty packet"
        raise StoreUnavailableError(f"MySQL server {host}:{port} rejected the connection: {message}")
    # Protocol 10 handshake: version byte, NUL-terminated server version, 4-byte thread id,
    # 8 bytes of auth data, 1 filler byte, then the low 16 bits of the capability flags.
    version_end = payload.index(b"\0", 1)
    offset = version_end + 1 + 4 + 8 + 1
    (capabilities,) = struct.unpack_from("<H", payload, offset)
    return bool(capabilities & CLIENT.SSL)


@functools.lru_cache(maxsize=512)
def _format_placeholders(sql: str) -> str:
    # The shared queries use `?`; PyMySQL formats with `%s` and needs a literal % doubled.
    return sql.replace("%", "%%").replace("?", "%s")


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InterfaceError)):
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        return code is None or code in CONNECTION_ERROR_CODES
    return isinstance(exc, (OSError, asyncio.TimeoutError))


def _render(connection: aiomysql.Connection, sql: str, params: Sequence[Any]) -> str:
    """Substitute escaped parameters into `sql`, the way aiomysql's cursor does.

    aiomysql 0.3 escapes bytes with a helper that PyMySQL 1.2 replaced by a placeholder
    string, so passing bytes through the cursor fails with a TypeError; bytes are escaped
    here with PyMySQL's own `escape_bytes` instead.
    """
    escaped = tuple(escape_bytes(value) if isinstance(value, bytes) else connection.escape(value) for value in params)
    return _format_placeholders(sql) % escaped


class _MySqlSession(Session):
    def __init__(self, connection: aiomysql.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._connection.cursor() as cursor:
            return int(await cursor.execute(_render(self._connection, sql, params)))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection.cursor() as cursor:
            await cursor.execute(_render(self._connection, sql, params))
            return list(await cursor.fetchall())


class MySqlStore(SqlStore):
    """Every store operation over a bounded aiomysql pool (`pool_size` connections at most)."""

    dialect = "mysql"

    def __init__(self, options: MySqlOptions) -> None:
        self.options = options
        self._pool: aiomysql.Pool | None = None

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str]) -> MySqlStore:
        """Build from `StoreSettings`; the password comes from the variable `password_env` names."""
        password = environ.get(settings.password_env)
        if password is None:
            raise ConfigError(f"environment variable {settings.password_env} (store.password_env) is not set; "
                              "set it to the MySQL password of store.user")
        return cls(MySqlOptions(
            host=settings.host, port=settings.port, user=settings.user, password=password, database=settings.database,
            pool_size=settings.pool_size, tls_required=settings.tls_required, tls_ca=settings.tls_ca,
            connect_timeout_s=settings.connect_timeout_s,
        ))

    async def open(self) -> None:
        options = self.options
        context: ssl.SSLContext | None = None
        if options.tls_required:
            context = _tls_context(options)
            if not await probe_tls_support(options.host, options.port, options.connect_timeout_s):
                raise InsecureTransportError(
                    f"MySQL server {options.address} does not offer TLS, and store.tls_required is on; "
                    "enable TLS on the server (ssl_cert, ssl_key, and require_secure_transport=ON)"
                )
        else:
            logger.warning("store.tls_required is off: MySQL traffic to %s travels in plaintext", options.address)
        try:
            self._pool = await aiomysql.create_pool(
                host=options.host, port=options.port, user=options.user, password=options.password,
                db=options.database, minsize=1, maxsize=options.pool_size, autocommit=True, charset="utf8mb4",
                ssl=context, connect_timeout=options.connect_timeout_s, pool_recycle=POOL_RECYCLE_S,
                # Make UPDATE return the rows it matched, as SQLite does, not only the rows it changed:
                # compare-and-set writes that store an unchanged value must still count as done.
                client_flag=CLIENT.FOUND_ROWS,
                # `CREATE TABLE IF NOT EXISTS schema_version` runs at every open; without this
                # its "already exists" note surfaces as a Python warning each time.
                init_command="SET SESSION sql_notes = 0",
            )
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError, OSError, asyncio.TimeoutError) as exc:
            verification = _find_cause(exc, ssl.SSLCertVerificationError)
            if verification is not None:
                raise InsecureTransportError(
                    f"MySQL server {options.address}: TLS certificate verification failed "
                    f"({verification.verify_message}); set store.tls_ca to the CA that issued its certificate "
                    f"(now {options.tls_ca!r}) and make sure the certificate names {options.host!r}"
                ) from None
            raise StoreUnavailableError(f"MySQL server {options.address}: connection failed ({_describe(exc)})") from None
        try:
            await self.check_schema()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            await self._pool.wait_closed()
            self._pool = None

    def _require(self) -> aiomysql.Pool:
        if self._pool is None:
            raise RuntimeError("MySqlStore is not open; call open() first")
        return self._pool

    def _check_transport(self, connection: aiomysql.Connection) -> None:
        if not self.options.tls_required:
            return
        writer = getattr(connection, "_writer", None)
        if writer is None or writer.get_extra_info("ssl_object") is None:
            connection.close()
            raise InsecureTransportError(
                f"a connection to MySQL server {self.options.address} came up without TLS; "
                "the server stopped offering TLS: enable it again (store.tls_required is on)"
            )

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiomysql.Connection]:
        pool = self._require()
        try:
            connection = await pool.acquire()
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError, OSError, asyncio.TimeoutError) as exc:
            raise StoreUnavailableError(f"MySQL server {self.options.address} cannot be reached ({_describe(exc)})") from None
        try:
            self._check_transport(connection)
            yield connection
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                # A query cut off mid-flight leaves the protocol state unknown.
                connection.close()
                raise
            if _is_connection_error(exc):
                # A broken connection must not go back to the pool.
                connection.close()
                raise StoreUnavailableError(
                    f"MySQL server {self.options.address}: connection lost ({_describe(exc)})"
                ) from None
            raise
        finally:
            pool.release(connection)

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        async with self._connection() as connection:
            yield _MySqlSession(connection)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        async with self._connection() as connection:
            await connection.begin()
            try:
                yield _MySqlSession(connection)
            except BaseException:
                with contextlib.suppress(pymysql.err.Error, OSError):
                    await connection.rollback()
                raise
            await connection.commit()

    def is_integrity_error(self, exc: BaseException) -> bool:
        return isinstance(exc, pymysql.err.IntegrityError)

    async def migrate(self) -> list[int]:
        """Apply pending migrations under a server-wide named lock, so replicas started together take turns."""
        async with self._connection() as connection:
            session = _MySqlSession(connection)
            row = await session.fetchone("SELECT GET_LOCK(?, ?)", [MIGRATION_LOCK_NAME, MIGRATION_LOCK_TIMEOUT_S])
            if not row or row[0] != 1:
                raise StoreUnavailableError(
                    f"another process held the migration lock {MIGRATION_LOCK_NAME!r} for {MIGRATION_LOCK_TIMEOUT_S} s; "
                    "wait for its migration to finish and run `cast-gateway db migrate` again"
                )
            try:
                return await super().migrate()
            finally:
                await session.execute("SELECT RELEASE_LOCK(?)", [MIGRATION_LOCK_NAME])


def _find_cause(exc: BaseException, kind: type[ssl.SSLCertVerificationError]) -> ssl.SSLCertVerificationError | None:
    # aiomysql reports a failed TLS handshake as OperationalError 2003 chained to the SSL error.
    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None:
            return None
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _describe(exc: BaseException) -> str:
    # PyMySQL messages carry the server's text (no statement parameters), bounded here.
    return f"{exc.__class__.__name__}: {str(exc)[:200]}"
