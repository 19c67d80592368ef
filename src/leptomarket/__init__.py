"""leptomarket: open, reproducible market intelligence for leptomeningeal metastases drugs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leptomarket")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
