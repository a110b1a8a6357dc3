"""colorize: batch colorization of black-and-white films and photo archives."""
from .version import __version__

__all__ = ["__version__"]
