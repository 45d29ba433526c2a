"""Helpers for the compiler tests: the shared specs and cases, each real spec compiled once per session."""

from __future__ import annotations

from pathlib import Path

from cast_gateway.openapi import CompiledSpec, SpecBundle, SpecError, compile_spec

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SPECS_DIR = SHARED / "specs"
CASES_DIR = SHARED / "cases"
SPEC_FILES = sorted(p for p in SPECS_DIR.glob("*") if p.suffix in (".json", ".yaml", ".yml"))

_compiled: dict[str, CompiledSpec | SpecError] = {}


def compiled_spec(path: Path) -> CompiledSpec | SpecError:
    if path.name not in _compiled:
        try:
            _compiled[path.name] = compile_spec(SpecBundle.single(path.name, path.read_bytes()))
        except SpecError as exc:
            _compiled[path.name] = exc
    return _compiled[path.name]


def compile_case(name: str, *extra: str, prefix_budget: int = 0) -> CompiledSpec:
    files = {name: (CASES_DIR / name).read_bytes()}
    for other in extra:
        files[other] = (CASES_DIR / other).read_bytes()
    return compile_spec(SpecBundle(main=name, files=files), prefix_budget=prefix_budget)

