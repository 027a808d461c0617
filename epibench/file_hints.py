"""Words for a path that names no file: the file its folder holds under a near name."""

from __future__ import annotations

import difflib
from pathlib import Path


def nearest_name_hint(path: str | Path, folders: bool = False) -> str:
    """' (its folder has NAME ...)' where the folder of ``path`` holds a file (with ``folders``: a
    folder) named alike: the same name in another case (``.bedGraph`` for ``.bedgraph``: names are
    case-sensitive) or a near spelling; else "". ``path``'s folder need not exist."""
    path = Path(path)
    try:
        names = [p.name for p in path.parent.iterdir() if (p.is_dir() if folders else p.is_file())]
    except OSError:  # no such folder, or not readable
        return ""
    alike = [name for name in names if name.lower() == path.name.lower()]
    if alike:
        return f" (its folder has {alike[0]!r}: file names are case-sensitive)"
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.85)
    return f" (its folder has {close[0]!r}: meant that?)" if close else ""
