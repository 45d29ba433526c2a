"""Suite-wide leak check: planted secret values must never surface where others can read them.

How to use it in a test::

    def test_something(planted_secrets):
        value = planted_secrets.plant("stripe")      # a fresh, unique fake secret
        ...  # store it as a workspace secret, call tools, read responses

    # values made elsewhere (a fixture, a helper) are registered the same way:
    planted_secrets.register(some_secret_value)
    # session-scoped fixtures, which cannot use the function fixture:
    leaks.register_session_secret(value)

After every test of the suite, the autouse `leak_check` fixture fails the test when any
registered value (as text, or its base64, URL-safe base64 or hex form) appears in:

- a log record captured by pytest's caplog (message, arguments and formatted traceback),
  with `cast_gateway` loggers captured from DEBUG and other loggers from INFO;
- a response body read through `httpx2` (`read`, `aread`, `iter_bytes`, `aiter_bytes`),
  the client that the MCP SDK and the end-to-end tests use;
- an audit event written through `SqlStore.insert_audit` (SQLite and MySQL);
- the failure report of the test itself (an uncaught exception's message and traceback);
- anything a test hands to `planted_secrets.check(text, where)`, such as an exception
  caught with `pytest.raises` (`planted_secrets.check_exception(excinfo.value)`) or a
  response of another client.

NOTE: the upstream client (aiohttp) is not hooked, because the gateway itself must read
secrets that a test upstream echoes back; check what reaches the MCP client instead.
"""

from __future__ import annotations

import base64
import logging
import secrets
import traceback
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Iterator

import pytest

__all__ = [
    "PlantedSecrets",
    "planted_secrets",
    "leak_check",
    "register_session_secret",
    "pytest_runtest_makereport",
]

_SESSION_VALUES: set[str] = set()
_CURRENT: list[PlantedSecrets] = []
PLANTED_PREFIX = "planted"


def register_session_secret(value: str) -> None:
    """Register a value for every test from now on (for session-scoped fixtures)."""
    _SESSION_VALUES.add(value)


def _forms(value: str) -> tuple[bytes, ...]:
    raw = value.encode()
    return (
        raw,
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        raw.hex().encode(),
    )


@dataclass
class Leak:
    where: str
    label: str


@dataclass
class PlantedSecrets:
    """The values this test planted, and the leaks found so far."""

    values: dict[str, str] = field(default_factory=dict)  # value -> label
    leaks: list[Leak] = field(default_factory=list)

    def plant(self, label: str = "secret") -> str:
        value = f"{PLANTED_PREFIX}_{label}_{secrets.token_hex(12)}"
        self.values[value] = label
        return value

    def register(self, value: str, label: str = "registered") -> str:
        if len(value) < 8:
            raise ValueError(f"a registered secret needs at least 8 characters to be found reliably, got {len(value)}")
        self.values[value] = label
        return value

    def all_values(self) -> dict[str, str]:
        return {**{value: "session" for value in _SESSION_VALUES}, **self.values}

    def find(self, data: str | bytes) -> list[str]:
        """Labels of the values that `data` contains, in any checked form."""
        blob = data.encode(errors="replace") if isinstance(data, str) else bytes(data)
        return [label for value, label in self.all_values().items() if any(form in blob for form in _forms(value))]

    def check(self, data: str | bytes, where: str) -> None:
        """Record a leak for each planted value in `data`; the test fails at teardown."""
        for label in self.find(data):
            self.leaks.append(Leak(where, label))

    def check_exception(self, exc: BaseException) -> None:
        self.check("".join(traceback.format_exception(exc)), f"exception {type(exc).__name__}")

    def max_form_length(self) -> int:
        return max((len(form) for value in self.all_values() for form in _forms(value)), default=0)


@pytest.fixture
def planted_secrets(leak_check: PlantedSecrets) -> PlantedSecrets:
    """The current test's registry (the same object `leak_check` scans)."""
    return leak_check


def _record_text(record: logging.LogRecord) -> str:
    parts = [str(record.msg), repr(record.args)]
    try:
        parts.append(record.getMessage())
    except Exception as exc:  # a broken format string must not hide the record's arguments
        parts.append(f"<unformattable: {exc!r}>")
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    parts.append(repr({key: value for key, value in vars(record).items() if key not in logging.LogRecord.__dict__}))
    return "\n".join(parts)


def _hook_http(monkeypatch: pytest.MonkeyPatch, registry: PlantedSecrets) -> None:
    try:
        import httpx2
    except ImportError:  # pragma: no cover - the test extra installs it
        return
    response_class: Any = httpx2.Response
    original_read, original_aread = response_class.read, response_class.aread
    original_iter, original_aiter = response_class.iter_bytes, response_class.aiter_bytes

    def where(response: Any) -> str:
        try:
            request = response.request
        except RuntimeError:  # a response built by hand, not yet tied to a request
            return "HTTP response body"
        return f"HTTP response body of {request.method} {request.url}"

    def read(self: Any) -> bytes:
        content = original_read(self)
        registry.check(content, where(self))
        return content

    async def aread(self: Any) -> bytes:
        content = await original_aread(self)
        registry.check(content, where(self))
        return content

    def iter_bytes(self: Any, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        tail = b""
        for chunk in original_iter(self, *args, **kwargs):
            # The tail keeps a value split across two chunks findable.
            registry.check(tail + chunk, where(self))
            tail = (tail + chunk)[-registry.max_form_length() :]
            yield chunk

    async def aiter_bytes(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        tail = b""
        async for chunk in original_aiter(self, *args, **kwargs):
            registry.check(tail + chunk, where(self))
            tail = (tail + chunk)[-registry.max_form_length() :]
            yield chunk

    monkeypatch.setattr(response_class, "read", read)
    monkeypatch.setattr(response_class, "aread", aread)
    monkeypatch.setattr(response_class, "iter_bytes", iter_bytes)
    monkeypatch.setattr(response_class, "aiter_bytes", aiter_bytes)


def _hook_audit(monkeypatch: pytest.MonkeyPatch, registry: PlantedSecrets) -> None:
    from cast_gateway.store.sql import SqlStore

    original = SqlStore.insert_audit

    async def insert_audit(self: Any, events: Any) -> None:
        for event in events:
            registry.check(repr(vars(event)) if hasattr(event, "__dict__") else repr(event), "audit row")
        await original(self, events)

    monkeypatch.setattr(SqlStore, "insert_audit", insert_audit)


@pytest.fixture(autouse=True)
def leak_check(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlantedSecrets]:
    """Fail the test when a planted value shows up in logs, responses, audit rows or its report."""
    registry = PlantedSecrets()
    _CURRENT.append(registry)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="cast_gateway")
    _hook_http(monkeypatch, registry)
    _hook_audit(monkeypatch, registry)
    try:
        yield registry
    finally:
        _CURRENT.pop()
    if not registry.all_values():
        return
    for when in ("setup", "call"):
        for record in caplog.get_records(when):  # type: ignore[arg-type]
            registry.check(_record_text(record), f"log record {record.name} {record.levelname} ({when})")
    for record in caplog.records:
        registry.check(_record_text(record), f"log record {record.name} {record.levelname} (teardown)")
    if registry.leaks:
        found = "; ".join(f"{leak.label!r} in {leak.where}" for leak in registry.leaks[:10])
        pytest.fail(f"planted secret leaked: {found}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Mark a failure report that carries a planted value, so the leak is named, not just the failure."""
    outcome = yield
    report = outcome.get_result()
    registry = _CURRENT[-1] if _CURRENT else None
    if registry is None or not report.failed or not registry.all_values():
        return
    labels = registry.find(str(report.longrepr))
    if labels:
        registry.leaks.extend(Leak(f"the {report.when} failure report", label) for label in labels)
        report.sections.append(("planted secret leak", f"the failure report contains planted secrets {labels}"))
