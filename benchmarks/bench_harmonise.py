"""Benchmark: chromosome-name matching on a draft assembly (``epibench.io.chroms.harmonise``).

A draft assembly as NCBI gives one: ``--scaffolds`` RefSeq-named scaffolds (100 k by default,
20 k with ``--quick``; the dog's or a plant's drafts have 10^4-10^5) and an alias table of three
more names each (``scaffold_N``, UCSC's ``chrUn_NW_...v1``, a GenBank WGS accession), as
``reference.chrom_aliases`` from NCBI's assembly report gives. Each call matches a few names of
which one needs the spelling rules (``chr1``: a UCSC-named file against the RefSeq names), as a
mark track's reader does for every million-line chunk that brings new sequence names and every
ingest group does once.

Measured in one process: the mean seconds per call over ``--calls`` calls with the spelling index
built once per reference (it is cached per reference), against the same calls each on a reference
of one more, new name (a sequence ``unplaced_<call>``), so that the index is rebuilt every call:
what every call cost before it was cached.

    .venv/bin/python benchmarks/bench_harmonise.py            # 100 k scaffolds, ~1 min
    .venv/bin/python benchmarks/bench_harmonise.py --quick    # 20 k scaffolds, ~10 s

The last printed line is one JSON object (``bench``, ``value`` = calls/s cached, ``unit``,
``baseline``, ``baseline_value``, ``ratio``).
"""

from __future__ import annotations

import argparse
import json
import time

from epibench.io.chroms import harmonise


def draft_assembly(n_scaffolds: int) -> tuple[list[str], dict[str, str]]:
    """RefSeq scaffold names, and alias -> name: three other names per scaffold."""
    names = [f"NW_{i:09d}.1" for i in range(n_scaffolds)]
    aliases = {}
    for i, name in enumerate(names):
        aliases[f"scaffold_{i}"] = name
        aliases[f"chrUn_NW_{i:09d}v1"] = name
        aliases[f"AAEX{i:08d}.1"] = name
    return names, aliases


def seconds_per_call(names: list[str], aliases: dict[str, str], calls: int, cached: bool) -> float:
    """Mean wall seconds of ``calls`` harmonise calls, each with a name no call had before; on the
    same reference each call (``cached``), or on one with a new last name each call."""
    start = time.perf_counter()
    for call in range(calls):
        reference = names if cached else [*names, f"unplaced_{call}"]
        found = harmonise([f"scaffold_{call}", "chr1", f"contig_new_{call}"], reference, aliases)
        assert found[f"scaffold_{call}"] == names[call] and found["chr1"] is None
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 k scaffolds, 10 calls")
    parser.add_argument("--scaffolds", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    args = parser.parse_args()
    n_scaffolds = args.scaffolds or (20_000 if args.quick else 100_000)
    calls = args.calls or (10 if args.quick else 30)
    names, aliases = draft_assembly(n_scaffolds)
    rebuilt = seconds_per_call(names, aliases, calls, cached=False)
    cached = seconds_per_call(names, aliases, calls, cached=True)
    print(
        f"{n_scaffolds:,} scaffolds, {len(aliases):,} aliases: {cached * 1e3:.1f} ms per call with the "
        f"index built once, {rebuilt * 1e3:.1f} ms rebuilt each call"
    )
    print(
        json.dumps(
            {
                "bench": "harmonise",
                "value": round(1 / cached, 2),
                "unit": "calls/s",
                "baseline": "spelling_index_rebuilt_each_call",
                "baseline_value": round(1 / rebuilt, 2),
                "ratio": round(rebuilt / cached, 2),
                "scaffolds": n_scaffolds,
                "aliases": len(aliases),
                "calls": calls,
            }
        )
    )


if __name__ == "__main__":
    main()
