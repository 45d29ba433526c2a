"""TLS on the MCP listener: TLS 1.2 or newer only, and plain HTTP redirected to https."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import AsyncIterator

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cast_gateway.config import ConfigError
from cast_gateway.serving.runner import build_listeners, serve_apps
from support.gateway import free_port, local_settings

pytestmark = pytest.mark.anyio


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
async def tls_gateway(tmp_path: Path) -> AsyncIterator[tuple[int, int, Path]]:
    cert_file, key_file = self_signed(tmp_path)
    port, redirect_port = free_port(), free_port()
    settings = local_settings(tmp_path, server={
        "bind": f"127.0.0.1:{port}", "public_url": f"https://127.0.0.1:{port}",
        "tls_cert_file": str(cert_file), "tls_key_file": str(key_file),
        "http_redirect_bind": f"127.0.0.1:{redirect_port}",
    })
    stop = asyncio.Event()
    task = asyncio.create_task(serve_apps(build_listeners(settings), stop))
    context = ssl.create_default_context(cafile=str(cert_file))
    for _attempt in range(200):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.025)
    try:
        yield port, redirect_port, cert_file
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def test_tls_12_is_served(tls_gateway: tuple[int, int, Path]) -> None:
    port, _redirect, cert_file = tls_gateway
    context = ssl.create_default_context(cafile=str(cert_file))
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2

    async with httpx2.AsyncClient(verify=context) as http:
        response = await http.get(f"https://127.0.0.1:{port}/healthz")

    assert response.status_code == 200


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_tls_11_handshake_is_refused(tls_gateway: tuple[int, int, Path]) -> None:
    port, _redirect, _cert = tls_gateway
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL build cannot even offer TLS 1.1")

    with pytest.raises((ssl.SSLError, ConnectionError)):
        _reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
        writer.close()


async def test_plain_http_is_redirected_to_https(tls_gateway: tuple[int, int, Path]) -> None:
    port, redirect_port, _cert = tls_gateway
    async with httpx2.AsyncClient() as http:
        response = await http.post(f"http://127.0.0.1:{redirect_port}/w/demo/mcp?x=1", json={})

    assert response.status_code == 307
    assert response.headers["location"] == f"https://127.0.0.1:{port}/w/demo/mcp?x=1"


def test_tls_settings_must_come_together(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tls_key_file"):
        local_settings(tmp_path, server={"tls_cert_file": "cert.pem"})
    with pytest.raises(ConfigError, match="http_redirect_bind"):
        local_settings(tmp_path, server={"http_redirect_bind": "127.0.0.1:8079"})
