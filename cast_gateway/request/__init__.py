"""Request builder: a tool plus validated arguments becomes one exact upstream request. Pure code, no I/O.

Exceptions::

    ArgumentError (ValueError)   an argument breaks the tool's input schema; names it and the rule
"""

from .model import UpstreamRequest, UpstreamResponse

__all__ = ["UpstreamRequest", "UpstreamResponse"]
