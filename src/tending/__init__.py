"""tending: a self-hosted workbench for the people who run online communities."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # read on first use: importlib.metadata costs ~40 ms of start-up that only `--version` needs
    if name != "__version__":
        raise AttributeError(f"module 'tending' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tending")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
