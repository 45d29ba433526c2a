"""Check tool arguments against the tool's input schema before anything is built or sent."""

from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Mapping

from jsonschema.exceptions import ValidationError, best_match

from cast_gateway.openapi.model import Tool

from .arguments import bounded_repr, effective_arguments
from .errors import ArgumentError
from .schema_cache import ValidatorCache

__all__ = ["validate_arguments", "ArgumentError", "format_validation_error", "json_path"]

# A message goes back to the model, which reads the first few lines; enum lists and the
# like are cut here.
MAX_MESSAGE_CHARS = 300

_validators = ValidatorCache()


def validate_arguments(tool: Tool, arguments: Mapping[str, Any]) -> None:
    """Raise `ArgumentError` naming the argument and the broken rule when `arguments` do not fit `tool.input_schema`."""
    if not isinstance(arguments, Mapping):
        raise ArgumentError(f"arguments must be a JSON object, got {type(arguments).__name__}")

    validator = _validators.get(tool.input_schema)
    effective = effective_arguments(tool, arguments)
    errors = list(validator.iter_errors(effective))
    if not errors:
        return

    error = best_match(errors)
    message = format_validation_error(error)
    if len(errors) > 1:
        message = f"{message} (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    raise ArgumentError(message)


def json_path(parts: Iterable[Any]) -> str:
    """Render a location inside the arguments as `items[0].name`."""
    rendered = ""
    for part in parts:
        if isinstance(part, int):
            rendered += f"[{part}]"
        elif rendered:
            rendered += f".{part}"
        else:
            rendered = str(part)
    return rendered


def format_validation_error(error: ValidationError) -> str:
    location = json_path(deque(error.absolute_path))
    prefix = f"argument {location[:MAX_MESSAGE_CHARS]!r}" if location else "arguments"
    text = _bounded_message(error)
    message = f"{prefix}: {text}"
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return message


def _bounded_message(error: ValidationError) -> str:
    # jsonschema messages start with the full repr of the offending value. A long string from
    # the model would push the rule out of sight, so the repr is swapped for a bounded one.
    message = str(error.message)
    full = repr(error.instance)
    if message.startswith(full):
        return bounded_repr(error.instance) + message[len(full):]
    return message
