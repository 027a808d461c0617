"""The ``epibench`` command: one subcommand per workflow stage.

Each subcommand parses its arguments and calls the package; heavy imports (torch) happen
inside the command so ``--help`` stays fast. Bad input ends with ``error: <message>`` and exit 2.

The subcommands live in one module per stage (``demo``, ``reference``, ``ingest``, ``marks``, ``qc``,
``shards``, ``train``, ``predict``, ``baselines``, ``evaluate``, ``interpret``, ``variants``,
``report``), each
with its ``cmd_*`` functions and a ``register(sub)`` that adds their parsers; ``common`` holds the
helpers they share. ``build_parser`` registers every stage, ``main`` runs the chosen command.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from epibench import __version__
from epibench.cli import (
    baselines,
    demo,
    evaluate,
    ingest,
    interpret,
    marks,
    predict,
    qc,
    reference,
    report,
    shards,
    sheet,
    train,
    variants,
)
from epibench.errors import InputError
from epibench.log_warnings import LOG_FORMAT
from epibench.train.preemption import Preempted

log = logging.getLogger("epibench")

#: The stage modules, in workflow order (``epibench --help`` lists their subcommands so).
STAGES = (
    demo,
    sheet,
    reference,
    ingest,
    marks,
    qc,
    shards,
    train,
    predict,
    baselines,
    evaluate,
    interpret,
    variants,
    report,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="epibench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"epibench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for stage in STAGES:
        stage.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format=LOG_FORMAT,
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Preempted as stop:  # logged by epibench train, where its history log keeps it too
        return stop.exit_code
    except PermissionError as err:  # a read-only results folder, a chattr +i file, another user's files
        print(
            f"error: {err.strerror}: {err.filename or 'a file'}: check the permissions of that file and its "
            "folder, then rerun",
            file=sys.stderr,
        )
        return 1
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # outputs are written atomically: the half-written one is gone, earlier ones are whole
        print(
            f"error: {err.strerror} writing {err.filename or 'an output'}: free space and rerun",
            file=sys.stderr,
        )
        return 1
    return 0
