"""Request-side benchmark: validate + build + inject credentials, and response mapping, per call.

Run from the repository root::

    .venv/bin/python bench/build_request.py [--calls 20000]

Compiles three shared case specs and one real spec, then times the pure request path for
a few representative tools. Prints the median and 99th percentile per call in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from cast_gateway.openapi.compiler import compile_spec
from cast_gateway.openapi.model import SpecBundle
from cast_gateway.request.builder import build_request
from cast_gateway.request.credentials import apply_credentials
from cast_gateway.request.model import UpstreamResponse
from cast_gateway.request.response import map_response
from cast_gateway.request.validation import validate_arguments
from cast_gateway.vault import SecretValue

SHARED = Path(__file__).resolve().parents[2] / "shared"
BASE = "https://api.example.test"

SCENARIOS = [
    ("C14.yaml", "getRecordDetail", {"id": "a/b?c"}, {"bearerAuth": "TEST_BEARER_TOKEN"}),
    ("C16.yaml", "listThings", {"tags": ["red", "blue"], "ids": ["a", "b"], "pipes": ["x", "y"]}, {}),
    ("C23.yaml", "createCustomer",
     {"email": "a+b@example.test", "metadata": {"plan": "pro"}, "expand": ["sources", "tax"]}, {}),
    ("C24.yaml", "uploadDocument", {"file": "JVBERi0xLjQK" * 100, "title": "Q", "tags": ["a"], "meta": {"owner": "o"}}, {}),
    ("C01.yaml", "createFolder", {"name": "r", "children": [{"name": "a", "children": [{"name": "b"}]}]}, {}),
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def time_calls(function, calls: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples), percentile(samples, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="calls per scenario")
    options = parser.parse_args()

    print(f"{'scenario':<32} {'median us':>10} {'p99 us':>10}")
    for spec_name, tool_name, arguments, secret_values in SCENARIOS:
        spec = compile_spec(SpecBundle.single(spec_name, (SHARED / "cases" / spec_name).read_bytes()))
        tool = spec.tool(tool_name)
        assert tool is not None

        def one_call() -> None:
            validate_arguments(tool, arguments)
            request = build_request(tool, arguments, BASE)
            secrets = {name: SecretValue(value) for name, value in secret_values.items()}
            apply_credentials(request, tool, spec.security_schemes, secrets)

        median, p99 = time_calls(one_call, options.calls)
        print(f"{spec_name + ':' + tool_name:<32} {median:>10.1f} {p99:>10.1f}")

    spec = compile_spec(SpecBundle.single("C44.yaml", (SHARED / "cases" / "C44.yaml").read_bytes()))
    tool = spec.tool("getItem")
    assert tool is not None
    response = UpstreamResponse(200, "application/json", b'{"id":"i1","price":2.5,"tags":["a","b"]}')
    median, p99 = time_calls(lambda: map_response(tool, response), options.calls)
    print(f"{'C44.yaml:getItem map_response':<32} {median:>10.1f} {p99:>10.1f}")


if __name__ == "__main__":
    main()
