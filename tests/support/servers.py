"""Real MariaDB, Redis and S3 (moto) servers on 127.0.0.1 for the test session.

Each server runs from a temporary folder on a free loopback port and is stopped by
its PID at the end of the session (SIGTERM, a bounded wait, then SIGKILL of that PID
only). Readiness is polled with a deadline; no fixed sleeps. A missing binary fails
the test with a message telling the user to run `make test-deps`.

Fixtures (exposed in tests/conftest.py):

``mariadb`` (session) -> ``MariaDb``, a server with TLS and ``require_secure_transport=ON``:
    host, port          127.0.0.1 and the TCP port
    user, password      an account with every privilege on ``database`` (and on each
                        database that ``new_database`` makes)
    database            a database created for the session ("cast")
    ca_path             PEM file of the self-signed CA that issued the server certificate
                        (subject alternative names 127.0.0.1 and localhost)
    tls                 True
    socket              the server's Unix socket (root logs in there without a password)
    new_database(prefix="t") -> MariaDb    a fresh empty database, same account
    admin(sql, params=()) -> list[tuple]   run SQL as root over the Unix socket
    ssl_context() -> ssl.SSLContext        a client context that verifies against ca_path
    stop() / start()                       take the server down and back up on the same port
                                           (only on a private server: see ``mariadb_factory``)

``mariadb_plain`` (session) -> ``MariaDb`` without TLS (``tls`` False, ``ca_path`` is the
    same CA file, which the server does not use): for testing that production settings
    reject it.

``mariadb_factory`` (session) -> ``start(tls=True) -> MariaDb``: a private server for a
    test that stops it (outage tests). Servers it starts are stopped at session end.

``redis_server`` (session) -> ``RedisServer``: url ("redis://127.0.0.1:PORT/0"), host,
    port, stop(), start(). ``redis_url`` (session) -> its url string.
``redis_factory`` (session) -> ``start() -> RedisServer``: a private Redis.

``moto_endpoint`` (session) -> str: "http://127.0.0.1:PORT" of moto's S3-compatible
    server. The session sets dummy AWS credentials and AWS_DEFAULT_REGION=us-east-1 in
    os.environ, so clients need only ``endpoint_url``. Use a unique bucket per test.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pymysql
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = [
    "MariaDb",
    "RedisServer",
    "ServerProcess",
    "TlsFiles",
    "free_port",
    "make_tls_files",
    "start_mariadb",
    "start_moto",
    "start_redis",
    "wait_until",
    "mariadb",
    "mariadb_plain",
    "mariadb_factory",
    "redis_server",
    "redis_url",
    "redis_factory",
    "moto_endpoint",
]

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 0.05
# A Unix socket path longer than this fails to bind on Linux (sun_path is 108 bytes).
MAX_SOCKET_PATH = 100
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def find_binary(name: str, *fallbacks: str) -> str:
    for candidate in (name, *fallbacks):
        found = shutil.which(candidate) or (candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else None)
        if found:
            return found
    for folder in ("/usr/sbin", "/usr/local/sbin", "/usr/bin"):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    pytest.fail(f"{name} not found on PATH or in /usr/sbin; run `make test-deps` to install the test servers")


def _stop_with_parent() -> None:
    """Have Linux send SIGTERM to the server when the test process dies without cleaning up.

    A test run ended by a timeout or SIGKILL never reaches the fixtures' teardown; this
    keeps its servers from outliving it. It runs in the child between fork and exec.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ServerProcess:
    """One child process, logging to a file, stopped by its own PID."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        try:
            # A new session keeps a Ctrl-C in the terminal from reaching the server
            # before the fixture stops it in order.
            self.process = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, start_new_session=True, preexec_fn=_stop_with_parent,
            )
        finally:
            log.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


def wait_until(check: Callable[[], bool], server: ServerProcess, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll `check` until it returns True; fail with the server's log if it exits or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        except pymysql.err.OperationalError:
            pass
        if server.exited():
            pytest.fail(f"{server.name} exited before {what}; its log ends with:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"{server.name}: {what} did not happen within {timeout_s} s; its log ends with:\n{server.log_tail()}")
        time.sleep(POLL_INTERVAL_S)


# --- TLS


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_tls_files(folder: Path) -> TlsFiles:
    """Write a self-signed CA and a server certificate for 127.0.0.1 and localhost as PEM files."""
    now = datetime.datetime.now(datetime.timezone.utc)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cast test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server-cert.pem", folder / "server-key.pem")
    files.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.key_path.write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    files.key_path.chmod(0o600)
    return files


# --- MariaDB


def _user_flag() -> list[str]:
    # mariadbd exits at start-up under root unless --user names the account to run as.
    if os.geteuid() == 0:
        return ["--user=root"]
    return []


def _install_datadir(folder: Path) -> Path:
    """Run mariadb-install-db once; servers copy this folder instead of installing again."""
    template = folder / "template-datadir"
    install = find_binary("mariadb-install-db", "mysql_install_db")
    result = subprocess.run(
        [install, "--no-defaults", f"--datadir={template}", "--auth-root-authentication-method=normal",
         "--skip-test-db", *_user_flag()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120,
    )
    if result.returncode != 0:
        tail = "\n".join(result.stdout.decode(errors="replace").splitlines()[-30:])
        pytest.fail(f"mariadb-install-db failed with exit code {result.returncode}:\n{tail}")
    return template


@dataclass
class MariaDb:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str
    ca_path: Path
    tls: bool
    socket: Path
    process: ServerProcess = field(repr=False)

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_path))
        context.check_hostname = True
        return context

    def admin(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement as root over the Unix socket (exempt from require_secure_transport)."""
        connection = pymysql.connect(unix_socket=str(self.socket), user="root", password="", autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params or None)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def new_database(self, prefix: str = "t") -> MariaDb:
        name = f"{prefix}_{secrets.token_hex(6)}"
        self.admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        self.admin(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.user}'@'127.0.0.1'")
        return replace(self, database=name)

    def stop(self) -> None:
        self.process.stop()

    def start(self) -> None:
        self.process.start()
        wait_until(self._accepts_root, self.process, "accepting connections on its socket")

    def _accepts_root(self) -> bool:
        self.admin("SELECT 1")
        return True


def start_mariadb(folder: Path, template: Path, tls_files: TlsFiles, *, tls: bool) -> MariaDb:
    if len(str(folder / "mysqld.sock")) > MAX_SOCKET_PATH:
        pytest.fail(f"temporary folder {str(folder)!r} is too long for a Unix socket path; set TMPDIR to a short path")
    datadir = folder / "data"
    shutil.copytree(template, datadir)
    (folder / "tmp").mkdir()
    port = free_port()
    sock = folder / "mysqld.sock"
    argv = [
        find_binary("mariadbd", "mysqld"), "--no-defaults", *_user_flag(),
        f"--datadir={datadir}", f"--socket={sock}", f"--port={port}", "--bind-address=127.0.0.1",
        f"--pid-file={folder / 'mysqld.pid'}", f"--tmpdir={folder / 'tmp'}",
        "--skip-name-resolve", "--skip-log-bin", "--performance-schema=OFF",
        # Durability costs fsyncs that a throwaway test database does not need.
        "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M",
        "--max-connections=500",
    ]
    if tls:
        argv += [f"--ssl-ca={tls_files.ca_path}", f"--ssl-cert={tls_files.cert_path}",
                 f"--ssl-key={tls_files.key_path}", "--require-secure-transport=ON"]
    else:
        argv += ["--skip-ssl"]
    server = ServerProcess("mariadbd (tls)" if tls else "mariadbd (no tls)", argv, folder / "mariadbd.log")
    database = MariaDb(host=LOOPBACK, port=port, user="cast", password=secrets.token_urlsafe(16), database="cast",
                       ca_path=tls_files.ca_path, tls=tls, socket=sock, process=server)
    database.start()
    database.admin(f"CREATE USER '{database.user}'@'127.0.0.1' IDENTIFIED BY %s", [database.password])
    database.admin("CREATE DATABASE cast CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    database.admin(f"GRANT ALL PRIVILEGES ON cast.* TO '{database.user}'@'127.0.0.1'")
    return database


class _MariaDbPool:
    """Starts MariaDB servers from one installed template datadir, and stops them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tls_files = make_tls_files(folder / "tls")
        self._template: Path | None = None
        self._started: list[MariaDb] = []
        self._count = 0

    def start(self, *, tls: bool = True) -> MariaDb:
        if self._template is None:
            self._template = _install_datadir(self.folder)
        self._count += 1
        folder = self.folder / f"s{self._count}"
        folder.mkdir()
        database = start_mariadb(folder, self._template, self.tls_files, tls=tls)
        self._started.append(database)
        return database

    def stop_all(self) -> None:
        for database in self._started:
            database.stop()


@pytest.fixture(scope="session")
def mariadb_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., MariaDb]]:
    # mkdtemp under /tmp keeps the socket path short whatever pytest's basetemp is.
    folder = Path(tempfile.mkdtemp(prefix="cast-mariadb-"))
    pool = _MariaDbPool(folder)
    try:
        yield pool.start
    finally:
        pool.stop_all()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def mariadb(mariadb_factory: Callable[..., MariaDb]) -> MariaDb:
    return mariadb_factory(tls=True)


@pytest.fixture(scope="session")
def mariadb_plain(mariadb_factory: Callable[..., MariaDb]) -> MariaDb:
    return mariadb_factory(tls=False)


# --- Redis


def _redis_ping(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=1.0) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64).startswith(b"+PONG")


@dataclass
class RedisServer:
    host: str
    port: int
    process: ServerProcess = field(repr=False)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def stop(self) -> None:
        self.process.stop()

    def start(self) -> None:
        self.process.start()
        wait_until(lambda: _redis_ping(self.host, self.port), self.process, "answering PING")


def start_redis(folder: Path) -> RedisServer:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [
        find_binary("redis-server"), "--port", str(port), "--bind", LOOPBACK, "--save", "",
        "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes", "--daemonize", "no",
        "--logfile", "",
    ]
    server = RedisServer(LOOPBACK, port, ServerProcess("redis-server", argv, folder / "redis.log"))
    server.start()
    return server


@pytest.fixture(scope="session")
def redis_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], RedisServer]]:
    started: list[RedisServer] = []

    def start() -> RedisServer:
        server = start_redis(tmp_path_factory.mktemp("redis"))
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def redis_server(redis_factory: Callable[[], RedisServer]) -> RedisServer:
    return redis_factory()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


# --- S3 (moto server mode)


def _moto_argv(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script), "-H", LOOPBACK, "-p", str(port)]
    try:
        import moto.server  # noqa: F401
    except ImportError:
        pytest.fail("moto's server is not installed; run `make test-deps` (it installs the test extras)")
    return [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1.0) as response:
        return int(response.status) == 200


def start_moto(folder: Path) -> tuple[ServerProcess, str]:
    """Start moto's server with dummy AWS credentials in its environment; return it and its endpoint URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, **AWS_TEST_ENV}
    server = ServerProcess("moto_server", _moto_argv(port), folder / "moto.log", env=env)
    endpoint = f"http://{LOOPBACK}:{port}"
    server.start()
    wait_until(lambda: _http_ok(f"{endpoint}/moto-api/"), server, "answering HTTP")
    return server, endpoint


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_TEST_ENV.items():
            patch.setenv(name, value)
        server, endpoint = start_moto(tmp_path_factory.mktemp("moto"))
        try:
            yield endpoint
        finally:
            server.stop()
