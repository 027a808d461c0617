"""Saving figures: every plot is written as ``<stem>.png`` and ``<stem>.pdf``, atomically.

Figures are ``matplotlib.figure.Figure`` objects built without pyplot, so nothing touches a
global backend or leaks open figures.
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure

from epibench.io.atomic import atomic_path

FORMATS = ("png", "pdf")
DPI = 150
# no creation date in the file: the same figure gives the same bytes (reruns compare equal)
REPRODUCIBLE = {"pdf": {"CreationDate": None}}


def save_figure(fig: Figure, stem: str | os.PathLike) -> list[Path]:
    """Write ``fig`` to ``<stem>.png`` and ``<stem>.pdf`` atomically, byte-reproducibly; return the paths."""
    paths = []
    for fmt in FORMATS:
        target = Path(f"{os.fspath(stem)}.{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight", metadata=REPRODUCIBLE.get(fmt))
        paths.append(target)
    return paths
