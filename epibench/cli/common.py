"""Helpers the stage modules of the ``epibench`` command share: argument types and groups, the
``--format`` value, JSON outputs, and a trained model with the shard rows it reads.

Light imports only (``epibench --help`` imports this); heavy ones stay inside the functions.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path


class _ExpandPaths(argparse.Action):
    """Store the paths of every value (epibench.path_grids.expand_word: a path, or a grid or list of
    paths as one JSON word), in order."""

    def __call__(self, parser, namespace, values, option_string=None):
        from epibench.path_grids import expand_word

        try:
            paths = [path for value in values for path in expand_word(value)]
        except ValueError as err:
            parser.error(f"{option_string}: {err}")
        setattr(namespace, self.dest, paths)


def many_paths_arg(p: argparse.ArgumentParser, flag: str, help: str = "") -> None:
    """A required option of one or more paths, any of them given as a JSON grid or list
    (epibench.path_grids: the workflow passes a cohort's shard folders so, short of the shell's limit)."""
    p.add_argument(
        flag,
        nargs="+",
        required=True,
        action=_ExpandPaths,
        help=f"{help}{'; ' if help else ''}paths, or JSON grids of them (epibench.path_grids)",
    )


def json_arg(text: str) -> dict:
    """An argument type: a JSON object (``--ensembles-json '{"ens": ["cnn", "hybrid"]}'``)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def mark_arg(text: str) -> tuple[str, str]:
    """An argument type: ``NAME=PATH`` -> ``(NAME, PATH)``."""
    return _name_and_path(text, empty_path=False)


def mark_track_arg(text: str) -> tuple[str, str]:
    """An argument type: ``NAME=PATH`` -> ``(NAME, PATH)``, or ``NAME=`` -> ``(NAME, "")``: a mark the
    sample lacks."""
    return _name_and_path(text, empty_path=True)


def _name_and_path(text: str, empty_path: bool) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not (path or empty_path):
        expected = "NAME=PATH, or NAME= for a mark the sample lacks" if empty_path else "NAME=PATH"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return name, path


def calls_args(p: argparse.ArgumentParser, cg_share: bool, several: bool = False) -> None:
    """Arguments naming a sample's methylation calls and how they are kept (ingest, ingest-split).
    ``several``: ``--input`` may be repeated (a sample's files pooled), with ``--format`` and
    ``--coverage`` given once per ``--input``, in its order, or not at all (lists; see ``calls_files``)."""
    repeat = {"action": "append", "default": []} if several else {}
    each = " (once per --input, in order)" if several else ""
    p.add_argument(
        "--input",
        required=True,
        help="methylation calls file" + ("; repeat it for a sample of several files" if several else ""),
        **repeat,
    )
    p.add_argument("--sample", required=True)
    p.add_argument(
        "--format",
        help="format name, auto to detect from content, or the columns to read (columns:chrom=1,pos=2,...)"
        + each,
        **(repeat or {"default": "auto"}),
    )
    p.add_argument(
        "--coverage",
        help="ReadCoverage bigWig for a Roadmap FractionalMethylation bigWig"
        + (each + ", '' for none" if several else ""),
        **(repeat or {"default": None}),
    )
    filter_args(p, cg_share)


def calls_files(args: argparse.Namespace) -> list:
    """The ``CallsFile`` of each ``--input`` of a ``calls_args(several=True)`` parser, with its
    ``--format`` and ``--coverage``; InputError when those are given but not once per input."""
    from epibench.errors import InputError
    from epibench.io.methylation.group_ingest import CallsFile

    n_inputs = len(args.input)
    for flag, values in (("--format", args.format), ("--coverage", args.coverage)):
        if values and len(values) != n_inputs:
            raise InputError(
                f"{flag} is given {len(values)} times for {n_inputs} --input: give it once per --input, "
                "or not at all"
            )
    formats = args.format or ["auto"] * n_inputs
    coverages = args.coverage or [""] * n_inputs
    return [
        CallsFile(path, format_value(fmt), coverage or None)
        for path, fmt, coverage in zip(args.input, formats, coverages)
    ]


def filter_args(p: argparse.ArgumentParser, cg_share: bool = True) -> None:
    """``--reference`` and how calls are kept: ``--min-coverage`` and (``cg_share``) ``--min-cg-share``,
    defaults from epibench.io.methylation.canonical."""
    from epibench.io.methylation.canonical import MIN_COVERAGE

    p.add_argument("--reference", required=True, help="prepared FASTA (epibench reference)")
    p.add_argument("--min-coverage", type=int, default=MIN_COVERAGE, help="reads a CpG needs to be kept")
    if cg_share:
        cg_share_arg(p)


def cg_share_arg(p: argparse.ArgumentParser) -> None:
    """``--min-cg-share``: the share of a sample's calls that must sit on a reference CG."""
    from epibench.io.methylation.canonical import MIN_CG_SHARE

    p.add_argument(
        "--min-cg-share", type=float, default=MIN_CG_SHARE, help="share of calls on a reference CG"
    )


def resample_args(p: argparse.ArgumentParser) -> None:
    """``--n-boot`` and ``--seed``: the resamples behind a table's 95 % intervals and their seed."""
    from epibench.evaluate.bootstrap import DEFAULT_N_BOOT

    p.add_argument(
        "--n-boot", type=int, default=DEFAULT_N_BOOT, help="bootstrap resamples for the 95 %% intervals"
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")


def block_bp_arg(text: str) -> int:
    """``--block-bp``'s value: a whole number of bp, or the JSON of ``epibench evaluate bootstrap-block``
    (evaluate.bootstrap_block_bp: auto) whose block it reads."""
    from epibench.errors import InputError
    from epibench.evaluate.block_choice import read_block_bp

    if text.isdigit():
        return int(text)
    try:
        return read_block_bp(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def bootstrap_args(p: argparse.ArgumentParser) -> None:
    """``resample_args`` and ``--block-bp``: the genomic blocks the resamples draw
    (evaluate.bootstrap_block_bp; 0: CpGs)."""
    from epibench.evaluate.bootstrap import DEFAULT_BLOCK_BP

    resample_args(p)
    p.add_argument(
        "--block-bp",
        type=block_bp_arg,
        default=DEFAULT_BLOCK_BP,
        help="resample genomic blocks of this many bp for the intervals, as evaluate.bootstrap_block_bp, or "
        "the block of an `epibench evaluate bootstrap-block` JSON (default %(default)s; 0: CpGs within "
        "each sample; fewer than 10 blocks: no interval)",
    )


def bootstrap_of(args: argparse.Namespace) -> dict:
    """``bootstrap_args``' values as the keyword arguments the evaluation tables take: n_boot, seed,
    block_bp."""
    return {"n_boot": args.n_boot, "seed": args.seed, "block_bp": args.block_bp}


def given(args: argparse.Namespace, settings_class: type) -> dict:
    """The fields of the settings dataclass given on the command line (one flag per field; a flag left
    at None keeps the field's default). A field without a flag is an AttributeError, not a silent default."""
    from dataclasses import fields

    values = {field.name: getattr(args, field.name) for field in fields(settings_class)}
    return {name: value for name, value in values.items() if value is not None}


def settings_flags(settings: dict) -> str:
    """Config settings as the command-line flags ``given`` reads back, quoted for the shell:
    ``{"bin_size": 100, "drop_blacklisted": False, "val_chroms": ["chr4"], "ambiguous_band": None}`` ->
    ``--bin-size 100 --no-drop-blacklisted --val-chroms chr4`` (None: left out, the default applies)."""
    words = []
    for name, value in sorted(settings.items()):
        flag = "--" + name.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            words.append(flag if value else f"--no-{flag[2:]}")
        elif isinstance(value, (list, tuple)):
            words += [flag, *map(str, value)]
        else:
            words += [flag, str(value)]
    return " ".join(shlex.quote(word) for word in words)


def format_value(name: str | None) -> str | None:
    """A --format value: None (detect from content) for auto or nothing."""
    return None if name in (None, "", "auto") else name


def write_json(value: dict, path: str | Path) -> None:
    """Write ``value`` as indented JSON, atomically."""
    from epibench.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(value, indent=2, default=str))


def model_and_dataset(model_dir: str, shards: list[str], split: str):
    """A trained model and the ``split`` rows of ``shards``, read as it was trained (histone
    normalisation from model.json); stops when the shards' marks or window differ from training.
    """
    from epibench.data.dataset import ShardDataset
    from epibench.train.modelfile import META, check_data, load_model

    model, meta = load_model(model_dir)
    dataset = ShardDataset(shards, split=split, histone_norm=meta.get("histone_norm", "log1p"))
    check_data(meta, dataset.marks, dataset.window, Path(model_dir) / META)
    return model, dataset
