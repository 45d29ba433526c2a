"""The blob store's exception tree (drawn in the package docstring)."""


class BlobError(Exception):
    """Base of every blob store failure."""


class BlobNotFoundError(BlobError, LookupError):
    """No object under that workspace and hash."""


class BlobUnavailableError(BlobError, ConnectionError):
    """The blob store cannot be reached."""
