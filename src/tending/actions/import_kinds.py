"""The kinds of export tending can import (tending.importers.KINDS), in a module that loads no database
library, so `tending --help` and `tending import --help` start fast; actions/imports.py does the import."""

from __future__ import annotations

from tending.importers import KINDS

__all__ = ["KINDS"]
