"""Chromosome-name harmonisation between an input file and the reference FASTA.

UCSC (``chr1``, ``chrX``, ``chrM``) and Ensembl/NCBI (``1``, ``X``, ``MT``) spellings of
the same sequence are matched. An exact name match always wins; a name that matches no
reference sequence, or two of them (a FASTA with both ``chrM`` and ``MT``), maps to None
(the caller drops it and reports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

_MITO = {"M", "MT"}


def _key(name: str) -> str:
    """Spelling-independent key: no ``chr`` prefix, upper case, ``M``/``MT`` both ``MT``."""
    bare = name[3:] if name[:3].lower() == "chr" else name
    bare = bare.upper()
    return "MT" if bare in _MITO else bare


def harmonise(names_in_file: Iterable[str], reference_names: Iterable[str]) -> dict[str, str | None]:
    """Map each name in the file to its reference sequence name, or None when there is none.

    >>> harmonise(["1", "MT", "chrX", "GL000220.1"], ["chr1", "chrX", "chrM"])
    {'1': 'chr1', 'MT': 'chrM', 'chrX': 'chrX', 'GL000220.1': None}
    """
    reference = list(reference_names)
    exact = set(reference)
    by_key: dict[str, list[str]] = {}
    for ref in reference:
        by_key.setdefault(_key(ref), []).append(ref)
    mapping: dict[str, str | None] = {}
    for name in dict.fromkeys(names_in_file):
        candidates = [name] if name in exact else by_key.get(_key(name), [])
        mapping[name] = candidates[0] if len(candidates) == 1 else None  # none, or ambiguous
    return mapping


def renamed_and_dropped(
    mapping: dict[str, str | None], counts: dict[str, int]
) -> tuple[dict[str, str], dict[str, int]]:
    """Split a :func:`harmonise` mapping into ``{file name: reference name}`` for names that
    changed and ``{file name: count}`` for names with no reference sequence (counts: rows per file name)."""
    renamed = {name: ref for name, ref in mapping.items() if ref is not None and ref != name}
    dropped = {name: int(counts.get(name, 0)) for name, ref in mapping.items() if ref is None}
    return renamed, dropped


def string_column(codes: np.ndarray, names: Sequence[str]) -> pd.api.extensions.ExtensionArray:
    """(N,) pandas ``str`` array of ``names[codes]``, built in Arrow (no Python string per row)."""
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(names), pa.string())
    )
    return pd.array(dictionary.cast(pa.string()), dtype="str")
