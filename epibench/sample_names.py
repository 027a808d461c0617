"""How sample names are spelt: letters, digits, ``_``, ``.`` and ``-`` (they name files and
folders of the results), as the sample sheet's schema wants them."""

from __future__ import annotations

import re

_NAME_OUTSIDE = re.compile(r"[^A-Za-z0-9_.-]+")


def sample_name(name: str) -> str:
    """``name`` spelt as a sample name: each run of other characters becomes ``_``
    (``upper lobe of left lung`` -> ``upper_lobe_of_left_lung``)."""
    return _NAME_OUTSIDE.sub("_", name.strip()).strip("_")
