"""Measure compile_spec: time and peak traced memory per spec, median of several runs.

Usage: .venv/bin/python bench/compile_specs.py [--runs 5] [--operations 10000] [--split] [SPEC...]

Without SPEC arguments it measures every spec in ../shared/specs and a generated spec with
`--operations` operations. Time is wall-clock for one compile_spec call (parsing included);
memory is tracemalloc's peak during a separate run, because tracing slows the code down.
`--split` also prints, for YAML specs, how the time divides between libyaml building the
node graph, the loader's YAML 1.2 walk and the rest of the compile.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from cast_gateway.openapi import SpecBundle, compile_spec
from cast_gateway.openapi.loader import _Composer, _Walker

SPECS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "specs"


def generated_spec(operations: int) -> bytes:
    """Return a JSON spec with `operations` operations (half GET, half PUT) sharing one schema."""
    paths = {}
    for index in range(0, operations, 2):
        paths[f"/r{index}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "operationId": f"getResource{index:05d}",
                "summary": f"Lire la ressource {index:05d} — 資源を取得",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resource"}}}}},
            },
            "put": {
                "operationId": f"putResource{index:05d}",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resource"}}}},
                "responses": {"200": {"description": "ok"}},
            },
        }
    resource = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    for field in range(20):
        resource["properties"][f"f{field}"] = {"type": "string", "enum": ["a", "b", "c"]}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "generated", "version": "1"},
        "servers": [{"url": "https://api.example.test"}],
        "paths": paths,
        "components": {"schemas": {"Resource": resource}},
    }
    return json.dumps(document).encode()


def measure(name: str, data: bytes, runs: int) -> tuple[float, float, int]:
    bundle = SpecBundle.single(name, data)
    times = []
    tools = 0
    for _ in range(runs):
        start = time.perf_counter()
        compiled = compile_spec(bundle)
        times.append(time.perf_counter() - start)
        tools = len(compiled.tools)
    tracemalloc.start()
    compile_spec(bundle)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20, tools


def split(name: str, data: bytes, runs: int) -> tuple[float, float, float]:
    """Return the medians of libyaml's node graph, the YAML 1.2 walk and the whole compile, collector off."""
    graph, walk, total = [], [], []
    for _ in range(runs):
        gc.disable()
        try:
            start = time.perf_counter()
            composer = _Composer(data.decode("utf-8-sig"))
            root = composer.get_single_node()
            composer.dispose()
            composed = time.perf_counter()
            _Walker(name).convert(root)
            walked = time.perf_counter()
        finally:
            gc.enable()
        del root
        gc.collect()
        begin = time.perf_counter()
        compile_spec(SpecBundle.single(name, data))
        total.append(time.perf_counter() - begin)
        graph.append(composed - start)
        walk.append(walked - composed)
    return statistics.median(graph), statistics.median(walk), statistics.median(total)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per spec (default 5)")
    parser.add_argument("--operations", type=int, default=10_000, help="operations in the generated spec (default 10000)")
    parser.add_argument("--split", action="store_true", help="also print the parse / walk / rest split of YAML specs")
    parser.add_argument("specs", nargs="*", help="spec files (default: every spec in ../shared/specs)")
    args = parser.parse_args()
    paths = [Path(p) for p in args.specs] or sorted(p for p in SPECS_DIR.glob("*") if p.suffix in (".json", ".yaml", ".yml"))
    print(f"{'spec':<34} {'bytes':>10} {'tools':>6} {'median s':>9} {'peak MiB':>9}")
    for path in paths:
        data = path.read_bytes()
        seconds, peak, tools = measure(path.name, data, args.runs)
        print(f"{path.name:<34} {len(data):>10} {tools:>6} {seconds:>9.3f} {peak:>9.1f}")
        if args.split and path.suffix in (".yaml", ".yml"):
            graph, walk, total = split(path.name, data, args.runs)
            print(f"    libyaml node graph {graph:.3f} s, YAML 1.2 walk {walk:.3f} s, rest {total - graph - walk:.3f} s")
    if not args.specs:
        data = generated_spec(args.operations)
        seconds, peak, tools = measure("generated.json", data, args.runs)
        print(f"{f'generated-{args.operations}-ops.json':<34} {len(data):>10} {tools:>6} {seconds:>9.3f} {peak:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
