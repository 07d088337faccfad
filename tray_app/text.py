"""Plain-text tables, for the CLI's output and the tray's report dialogs alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Aligned columns under upper-case headers; an empty cell shows as '-'."""
    if not rows:
        return "(none)"
    lines = [[c.upper() for c in columns]] + [
        [str(row.get(c) or "-") for c in columns] for row in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
