"""Many paths in one short command-line word: the product of folders and file names as a JSON grid.

A cohort's shard folders are every sample's folder times every shard group (``shards/<sample>/<group>``):
100 samples of 25 groups make 2,500 paths, over 100 KiB of command line (Snakemake runs a command over
64 KiB from a script file; Linux still refuses one word over 128 KiB and all words over ARG_MAX, 2 MiB,
"Argument list too long"). As a grid, ``{"folders": ["shards/s1", ...], "names": ["chr1", ...]}``,
they take the length of the sample folders plus the group names. The commands that take many paths
(``--shards``, ``--cpgs``) read such a word back (``expand_word``) in the same order: folder by folder,
the names in order within each.
"""

from __future__ import annotations

import json
import posixpath


def to_word(paths: list[str]) -> str:
    """``paths`` as one JSON word: a grid ``{"folders": [...], "names": [...]}`` where they are every
    folder of theirs times every file name of theirs (folder-major, each list in first-seen order),
    else a JSON list of them."""
    folders = list(dict.fromkeys(posixpath.dirname(p) for p in paths))
    names = list(dict.fromkeys(posixpath.basename(p) for p in paths))
    if paths and [posixpath.join(f, n) for f in folders for n in names] == list(paths):
        return json.dumps({"folders": folders, "names": names})
    return json.dumps(list(paths))


def expand_word(word: str) -> list[str]:
    """The paths of a word: those of a ``to_word`` grid or list, else the word itself (a path; one
    that starts with ``{`` or ``[`` but is no such JSON is a path too). ValueError for a grid whose
    folders or names are not lists of strings."""
    if not word.startswith(("{", "[")):
        return [word]
    try:
        value = json.loads(word)
    except json.JSONDecodeError:
        return [word]
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return value
    if isinstance(value, dict) and set(value) == {"folders", "names"}:
        folders, names = value["folders"], value["names"]
        if all(isinstance(x, list) and all(isinstance(s, str) for s in x) for x in (folders, names)):
            return [posixpath.join(f, n) for f in folders for n in names]
    raise ValueError(
        f'not a path grid ({{"folders": [...], "names": [...]}}) nor a list of paths: {word[:80]}'
    )
