"""Benchmark: reading ENCODE's bigBed bedMethyl (``epibench.io.methylation.bigbed_bedmethyl``)
against the text bedMethyl of the same rows.

The rows are ``bench_ingest``'s synthetic whole-chromosome ENCODE bedMethyl (14 columns, sorted,
both strands; ``--records`` data rows, deterministic with ``--seed``), written once more as a bigBed
with gemBS's ``BisulfiteSeq`` autoSql by pybigtools (the test extra). Measured in this process,
the median of ``--repeats`` runs each: ``read_calls`` of the bigBed (value) and of the gzipped
text (baseline; pyarrow's CSV reader), and ``ingest`` of each (reads, checks every call against
the reference, merges strands). The bigBed reader turns each 10-Mb window's entries into text
lines for the bedMethyl parser, so its extra cost is pyBigWig's entry tuples and that join.

    .venv/bin/python benchmarks/bench_bigbed.py            # 2.4 M records, ~2 min
    .venv/bin/python benchmarks/bench_bigbed.py --quick    # 300 k records, < 1 min

The last line printed is the JSON result (records per second of each).
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_ingest import generate, records_asked, records_parser  # noqa: E402
from test_io_methylation_bigbed import write_bigbed  # noqa: E402

from epibench.io.methylation.ingest import ingest, read_calls  # noqa: E402
from epibench.io.reference import Reference  # noqa: E402


def timed(fn, repeats: int) -> float:
    """Median wall seconds of ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict:
    args = records_parser(__doc__.split("\n\n")[0]).parse_args(argv)
    n_records = records_asked(args)
    with tempfile.TemporaryDirectory() as tmp:
        made = generate(Path(tmp), n_records, args.seed)
        with gzip.open(made["calls"], "rt") as text:
            rows = [line.rstrip("\n").split("\t") for line in text if not line.startswith("track")]
        start = time.perf_counter()
        bigbed = write_bigbed(Path(tmp) / "calls.bigBed", rows, {"chr1": made["length"]})
        write_s = time.perf_counter() - start
        del rows
        reference = Reference(made["fasta"])
        read_text = timed(lambda: read_calls(made["calls"]), args.repeats)
        read_bigbed = timed(lambda: read_calls(bigbed), args.repeats)
        ingest_text = timed(lambda: ingest(made["calls"], reference), args.repeats)
        ingest_bigbed = timed(lambda: ingest(bigbed, reference), args.repeats)
        bigbed_mb = bigbed.stat().st_size / 2**20
    value, baseline = n_records / read_bigbed, n_records / read_text
    result = {
        "bench": "bigbed_ingest",
        "value": round(value),
        "unit": "records/s",
        "baseline": "read_calls of the same rows as gzipped text bedMethyl",
        "baseline_value": round(baseline),
        "ratio": round(value / baseline, 3),
        "records": n_records,
        "read_s": {"bigbed": round(read_bigbed, 3), "text": round(read_text, 3)},
        "ingest_s": {"bigbed": round(ingest_bigbed, 3), "text": round(ingest_text, 3)},
        "file_mb": {"bigbed": round(bigbed_mb, 1), "text_gz": round(made["file_mb"], 1)},
        "pybigtools_write_s": round(write_s, 1),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
