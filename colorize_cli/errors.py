"""Typed errors; each maps to the exit code the CLI returns."""


class ColorizeError(Exception):
    """A failure the user can act on: printed as one line, never as a traceback."""
    exit_code = 1


class MediaError(ColorizeError):
    """One input could not be read, decoded or written; the batch goes on."""


class UsageError(ColorizeError):
    exit_code = 2


class OutputExistsError(UsageError):
    pass


class MissingExtraError(ColorizeError):
    """A requested engine or optional extra is not installed."""
    exit_code = 3
