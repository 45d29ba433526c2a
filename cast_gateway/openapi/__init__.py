"""OpenAPI compiler: a spec document (or bundle of files) becomes MCP tools. Pure code, no I/O.

Exceptions::

    SpecError (ValueError)   the spec cannot be compiled; names the file and JSON pointer
"""

from .compiler import compile_spec
from .errors import SpecError
from .model import BodySpec, CompiledSpec, ParameterSpec, SecurityScheme, SpecBundle, SpecWarning, Tool, ToolHints

__all__ = [
    "compile_spec",
    "SpecError",
    "SpecBundle",
    "CompiledSpec",
    "Tool",
    "ToolHints",
    "ParameterSpec",
    "BodySpec",
    "SecurityScheme",
    "SpecWarning",
]
