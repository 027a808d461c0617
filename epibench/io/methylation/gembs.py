"""gemBS ``mextr`` CpG tables (ENCODE's WGBS pipeline writes them beside its bedMethyl).

A header line (``Contig Pos0 Pos1 Ref`` then seven columns per sample, ``NAME:Call``,
``NAME:Flags``, ``NAME:Meth``, ``NAME:non_conv``, ``NAME:conv``, ``NAME:support_call``,
``NAME:total``), then one row per base of each CpG: Pos0 0-based, the sample's called base
(``C``: the forward strand's cytosine; ``G``: the reverse strand's; any other call, a variant of
the sample, is dropped as a row of no CpG), non-converted (methylated) and converted
(unmethylated) reads of that strand. ``Meth`` is the caller's model estimate and
``total`` counts every read over the base: neither is a methylation count, so neither is read.
One sample per table: a table of several is refused, naming the column spec (``column_spec``)
that reads each sample from it.
"""

from __future__ import annotations

import numpy as np

from epibench.errors import InputError
from epibench.io.methylation.calls import ON_C, ON_G, Calls
from epibench.io.methylation.columns import INT, STR, Source, check_count, check_start, read_columns

FORMAT = "gembs_mextr"
BASE = 0
POSITION_COLUMNS = ["Contig", "Pos0", "Pos1", "Ref"]
SAMPLE_COLUMNS = ["Call", "Flags", "Meth", "non_conv", "conv", "support_call", "total"]
N_COLUMNS = len(POSITION_COLUMNS) + len(SAMPLE_COLUMNS)


def header_samples(text: str) -> list[str] | None:
    """The sample names of a mextr header line, None when ``text`` is not one."""
    fields = text.rstrip("\r\n").split("\t")
    if fields[: len(POSITION_COLUMNS)] != POSITION_COLUMNS:
        return None
    per_sample = fields[len(POSITION_COLUMNS) :]
    names = [field.rsplit(":", 1) for field in per_sample]
    if not names or any(len(name) != 2 for name in names):
        return None
    if [kind for _, kind in names] != SAMPLE_COLUMNS * (len(names) // len(SAMPLE_COLUMNS)):
        return None
    return [sample for sample, kind in names if kind == SAMPLE_COLUMNS[0]]


def check_one_sample(path, line: int, samples: list[str]) -> None:
    """InputError for a table of several samples: the pipeline reads one sample per file."""
    if len(samples) > 1:
        specs = ", ".join(
            f"{name}: columns:chrom=1,pos=2,meth={8 + 7 * i},unmeth={9 + 7 * i},base=0"
            for i, name in enumerate(samples[:2])
        )
        raise InputError(
            f"a gemBS mextr table of {len(samples)} samples ({', '.join(samples)}): one row of the sheet per "
            f"sample, each naming its sample's non_conv and conv columns as its format ({specs}, ...)",
            path,
            line,
        )


def read(source: Source) -> Calls:
    cols = read_columns(
        source,
        {0: ("chrom", STR), 1: ("Pos0", INT), 4: ("Call", STR), 7: ("non_conv", INT), 8: ("conv", INT)},
    )
    start, call, n_meth, n_unmeth = cols[1], cols[4], cols[7], cols[8]
    check_start(source, start, BASE)
    check_count(source, n_meth, "non_conv read count")
    check_count(source, n_unmeth, "conv read count")
    return Calls(
        source=source,
        chrom=cols[0],
        pos=start,
        strand=np.where(call.isin({"G"}), ON_G, ON_C).astype(np.int8),
        n_meth=n_meth.astype(np.float64),
        n_total=n_meth + n_unmeth,
        cg_context=call.isin({"C", "G"}),
        row=None,  # call i is data row i
        base=BASE,
    )
