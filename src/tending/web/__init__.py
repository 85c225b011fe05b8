"""The web dashboard: server-rendered pages over the store and the actions (see docs/web.md)."""

from tending.web.app import create_app

__all__ = ["create_app"]
