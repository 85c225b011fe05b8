"""Community health (docs/health.md): the report the CLI prints and the overview shows."""

from __future__ import annotations

from tending.store.health import get_health_report

__all__ = ["get_health_report"]
