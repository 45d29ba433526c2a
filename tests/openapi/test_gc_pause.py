"""The compiler pauses the cyclic garbage collector and restores it afterwards."""

from __future__ import annotations

import gc
import threading

import pytest

from cast_gateway.openapi import SpecBundle, SpecError, compile_spec
from cast_gateway.openapi.gc_pause import paused_gc

SPEC = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"


def test_compile_restores_enabled_collector():
    assert gc.isenabled()
    compile_spec(SpecBundle.single("api.yaml", SPEC))
    assert gc.isenabled()


def test_failed_compile_restores_collector():
    with pytest.raises(SpecError):
        compile_spec(SpecBundle.single("api.yaml", b"openapi: 9.0.0\n"))
    assert gc.isenabled()


def test_compile_keeps_disabled_collector_disabled():
    gc.disable()
    try:
        compile_spec(SpecBundle.single("api.yaml", SPEC))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_nested_pauses_restore_once():
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_threads_restore_after_last():
    first_inside = threading.Event()
    release_first = threading.Event()

    def hold() -> None:
        with paused_gc():
            first_inside.set()
            assert release_first.wait(10)

    worker = threading.Thread(target=hold, name="gc-pause-holder")
    worker.start()
    assert first_inside.wait(10)
    with paused_gc():
        pass
    assert not gc.isenabled()
    release_first.set()
    worker.join(10)
    assert not worker.is_alive()
    assert gc.isenabled()
