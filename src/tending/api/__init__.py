"""The JSON API, /api/v1: the third shell over tending.actions, beside the CLI and the dashboard.

Routes only: each calls actions/ (never tending.store). Callers authenticate with a per-user API token
(`tending users token add EMAIL`) sent as `Authorization: Bearer TOKEN`, and act with that user's role; no
cookie is read, so there is no CSRF to guard against. Errors are JSON, `{"error": "<one sentence>"}`.
See docs/web.md, "JSON API".
"""

from __future__ import annotations

from tending.api.app import ApiState, create_api

__all__ = ["ApiState", "create_api"]
