"""tending: a self-hosted workbench for the people who run online communities."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tending")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
