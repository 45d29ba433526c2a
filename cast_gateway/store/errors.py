"""The store's exception tree (drawn in the package docstring)."""


class StoreError(Exception):
    """Base of every store failure."""


class ConflictError(StoreError, ValueError):
    """A row already exists, or changed between read and compare-and-set write."""


class SchemaVersionError(StoreError, RuntimeError):
    """The database carries a schema version newer than this gateway knows."""


class StoreUnavailableError(StoreError, ConnectionError):
    """The database cannot be reached or refused the connection."""
