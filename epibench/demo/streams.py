"""Named random streams: one independent, reproducible generator per part of the demo.

Each part (sequence of chr2, reads of sample3, ...) draws from its own
``numpy.random.Generator`` seeded by ``(seed, crc32(part), *keys)``, so changing
how many numbers one part draws never shifts the numbers of another part, and the
output depends on nothing but the arguments (no ``hash()`` salt, no dict order).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, part: str, *keys: int) -> np.random.Generator:
    """Generator for ``part`` (a fixed name such as ``"genes"``) and integer ``keys`` (chromosome or sample index)."""
    return np.random.default_rng([int(seed), zlib.crc32(part.encode()), *map(int, keys)])
