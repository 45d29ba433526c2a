"""The suite-wide leak check catches planted secrets in logs, exceptions, responses and audit rows.

One child pytest run (pytester, in a subprocess so that its hooks stay apart from this
session's) holds a test per leak channel; each must fail and name its channel.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import sys
sys.path.insert(0, {support!r})
from support.leaks import leak_check, planted_secrets, pytest_runtest_makereport
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

CHILD_TESTS = '''
import base64
import logging

import httpx2
import pytest

from cast_gateway.store.records import AuditEvent, utc_now
from cast_gateway.store.sqlite import SqliteStore


def test_debug_log(planted_secrets):
    logging.getLogger("cast_gateway.x").debug("sending %s", planted_secrets.plant("debuglog"))


def test_logged_traceback(planted_secrets):
    try:
        raise ValueError("bad token " + planted_secrets.plant("traceback"))
    except ValueError:
        logging.getLogger("other").exception("failed")


def test_base64_form(planted_secrets):
    value = planted_secrets.plant("basic")
    logging.getLogger("cast_gateway").info("auth %s", base64.b64encode(value.encode()).decode())


def test_uncaught_exception(planted_secrets):
    raise RuntimeError("upstream said " + planted_secrets.plant("uncaught"))


def test_checked_exception(planted_secrets):
    with pytest.raises(ValueError) as caught:
        raise ValueError(planted_secrets.plant("checked"))
    planted_secrets.check_exception(caught.value)


def test_response_body(planted_secrets):
    value = planted_secrets.plant("body")
    body = ('{"k": "%s"}' % value).encode()
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, content=body))
    with httpx2.Client(transport=transport) as client:
        client.get("http://127.0.0.1/x").read()


@pytest.mark.anyio
async def test_audit_row(planted_secrets, tmp_path):
    store = SqliteStore(tmp_path / "a.db")
    await store.open()
    await store.migrate()
    event = AuditEvent(timestamp=utc_now(), workspace_id="w", tool=planted_secrets.plant("audit"), status=200,
                       latency_ms=1.0, client_id="c", outcome="ok")
    await store.insert_audit([event])
    await store.close()


def test_clean(planted_secrets):
    planted_secrets.plant("clean")
    logging.getLogger("cast_gateway").info("calling tool %s", "list_pets")
'''




def test_each_leak_channel_fails_its_test(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # keeps the short summary lines whole
    support = str(request.config.rootpath / "tests")
    pytester.makeconftest(CONFTEST.format(support=support))
    pytester.makepyfile(test_child=CHILD_TESTS)

    result = pytester.runpytest_subprocess("-q", "-rA", "-p", "no:cacheprovider", "-o", "console_output_style=classic")

    output = result.stdout.str()
    expected = {
        "test_debug_log": "'debuglog' in log record cast_gateway.x DEBUG",
        "test_logged_traceback": "'traceback' in log record other ERROR",
        "test_base64_form": "'basic' in log record cast_gateway INFO",
        "test_uncaught_exception": "'uncaught' in the call failure report",
        "test_checked_exception": "'checked' in exception ValueError",
        "test_response_body": "'body' in HTTP response body",
        "test_audit_row": "'audit' in audit row",
    }
    for name, leak in expected.items():
        assert f"ERROR test_child.py::{name} - Failed: planted secret leaked" in output, name
        assert f"planted secret leaked: {leak}" in output, name
    assert "PASSED test_child.py::test_clean" in output
