"""Interpretation: ``epibench attribute`` (integrated gradients, k-mers and attention on test
CpGs), ``motifs`` (TF-MoDISco patterns named by JASPAR) and ``attribute-figure`` (one figure from
the attributions)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from epibench.cli.common import many_paths_arg, model_and_dataset
from epibench.threads import use_threads

log = logging.getLogger("epibench")


def cmd_attribute(args: argparse.Namespace) -> None:
    from epibench.interpret.explain import explain

    use_threads(args.threads)
    model, dataset = model_and_dataset(args.model_dir, args.shards, "test")
    steps = {"n_steps": args.n_steps, "max_steps": args.max_steps, "tolerance": args.tolerance}
    summary = explain(model, dataset, args.out_dir, per_region=args.per_region, kmer_size=args.kmer, **steps)
    log.info("attributions: %s", summary)


def cmd_motifs(args: argparse.Namespace) -> None:
    import numpy as np
    from tqdm import tqdm

    from epibench.interpret.hypothetical import hypothetical_contributions
    from epibench.interpret.motifs import (
        discover_patterns,
        jaspar_motifs,
        match_patterns,
        plot_patterns,
        tax_group_for,
    )
    from epibench.io.atomic import write_tsv

    use_threads(args.threads)
    assembly = json.loads(Path(args.assembly).read_text()) if args.assembly else None
    tax_group, why = tax_group_for(args.tax_group, assembly)
    log.info("JASPAR tax group %s: %s", tax_group, why)
    database = jaspar_motifs(args.jaspar, tax_group)  # an unknown group or release stops it here
    model, dataset = model_and_dataset(args.model_dir, args.shards, args.split)
    rng = np.random.default_rng(args.seed)
    rows = np.sort(rng.choice(len(dataset), size=min(args.n_windows, len(dataset)), replace=False))
    starts = tqdm(range(0, len(rows), 256), desc="motifs: contributions", mininterval=5)
    parts = [
        hypothetical_contributions(model, dataset.__getitems__(rows[start : start + 256]), args.n_steps)
        for start in starts
    ]
    one_hot, hypothetical = (np.concatenate(arrays) for arrays in zip(*parts))
    patterns = discover_patterns(one_hot, hypothetical)
    table = match_patterns(patterns, database)
    write_tsv(table, args.out_table)
    plot_patterns(patterns, table, database, args.out_figure)
    log.info(
        "%d %s windows, %d patterns matched against %s (%d matrices):\n%s",
        len(rows),
        args.split,
        len(table),
        database.collection,
        len(database.ids),
        table.drop(columns=["matches", "collection"]).to_string(index=False),
    )


def cmd_attribute_figure(args: argparse.Namespace) -> None:
    from epibench.interpret.plots import write_interpret_figure  # logomaker imports pyplot

    write_interpret_figure(args.kind, args.attributions, args.out)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``attribute``, ``motifs`` and ``attribute-figure`` subcommands to ``sub``."""
    p = sub.add_parser("attribute", help="integrated gradients, k-mers and attention on test CpGs")
    p.add_argument("--model-dir", required=True)
    many_paths_arg(p, "--shards", "shard folders")
    p.add_argument("--per-region", type=int, default=64, help="test CpGs attributed per region class")
    p.add_argument("--n-steps", type=int, default=32, help="integrated-gradients steps to start with")
    p.add_argument("--max-steps", type=int, default=256, help="steps at most, doubled until converged")
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        help="convergence: |sum of attributions - output change| share",
    )
    p.add_argument("--kmer", type=int, default=6, help="k of the top k-mers table")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_attribute)

    p = sub.add_parser("motifs", help="TF-MoDISco patterns of held-out windows, named by JASPAR (TOMTOM)")
    p.add_argument("--model-dir", required=True)
    many_paths_arg(p, "--shards", "shard folders")
    p.add_argument("--split", default="test", choices=["train", "val", "test"], help="windows drawn from")
    p.add_argument("--n-windows", type=int, default=2000, help="windows attributed (random, seeded)")
    p.add_argument("--n-steps", type=int, default=16, help="integration steps of the path-averaged gradient")
    p.add_argument("--jaspar", default="JASPAR2024", help="JASPAR release (shipped with pyjaspar)")
    p.add_argument(
        "--tax-group",
        default="auto",
        help="JASPAR CORE taxonomic group matched against (vertebrates, plants, insects, ..., all); auto: "
        "that of the assembly --assembly matches, else vertebrates",
    )
    p.add_argument("--assembly", default="", help="the reference's assembly.json (epibench reference)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out-table", required=True, help="motifs.tsv")
    p.add_argument("--out-figure", required=True, help="figure path without suffix (.png and .pdf)")
    p.set_defaults(func=cmd_motifs)

    p = sub.add_parser("attribute-figure", help="one interpretation figure from attributions.npz")
    p.add_argument(
        "--kind",
        required=True,
        choices=["sequence_attribution", "histone_attribution", "attention", "cpg_explanations"],
    )
    p.add_argument("--attributions", required=True, help="the attribute stage's attributions.npz")
    p.add_argument("--out", required=True, help="output path without extension (.png and .pdf are written)")
    p.set_defaults(func=cmd_attribute_figure)
