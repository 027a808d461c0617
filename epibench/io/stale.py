"""Files an earlier run left in a folder that a run writes anew (the report page's figures, the track
hub's bigWigs): those of a sample since removed from the cohort would otherwise stay beside the new
ones, in the folders people copy, serve or share."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("epibench")


def remove_unlisted(folder: str | os.PathLike, pattern: str, kept: Iterable[str | os.PathLike]) -> list[Path]:
    """Remove the files of ``folder`` matching ``pattern`` (a glob, no subfolders) that ``kept`` does
    not list (paths, compared resolved); returns them, sorted."""
    keep = {Path(path).resolve() for path in kept}
    stale = sorted(p for p in Path(folder).glob(pattern) if p.is_file() and p.resolve() not in keep)
    for path in stale:
        path.unlink()
    if stale:
        log.info(
            "removed %d file(s) an earlier run left in %s: %s",
            len(stale),
            folder,
            ", ".join(p.name for p in stale[:5]),
        )
    return stale
