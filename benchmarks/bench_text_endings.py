"""Benchmark: reading methylation calls saved by a Windows or Mac editor (a byte-order mark, CRLF or
CR line ends) against the same rows as written by the caller.

A file opened and saved in Excel or Notepad comes back with a UTF-8 byte-order mark first and
CRLF line ends; Excel for Mac's "CSV (Macintosh)" ends lines with CR alone.
``epibench.io.textfile.arrow_stream`` hands pyarrow's CSV reader a stream of the file's text: the
file itself, decompressed by pyarrow's codecs, where its bytes are the text's; a stream through
Python (``textfile._prepared``) where they are not (a mark skipped, each CR turned into LF).

The rows are ``bench_ingest``'s synthetic whole-chromosome ENCODE bedMethyl (14 columns, a track
line, both strands; ``--records`` data rows, deterministic with ``--seed``), gzipped, then written
again with a byte-order mark, with CRLF line ends, with a mark and CRLF, and with CR line ends.
Measured in this process, the median of ``--repeats`` runs each: ``read_calls`` of every variant,
the calls checked equal to those of the file as written (the baseline). The value is the
slowest variant's records/s.

    .venv/bin/python benchmarks/bench_text_endings.py            # 2.4 M records, ~2 min
    .venv/bin/python benchmarks/bench_text_endings.py --quick    # 300 k records, < 1 min

The last line printed is the JSON result (records per second of every variant).
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_bigbed import timed  # noqa: E402
from bench_ingest import generate, records_asked, records_parser  # noqa: E402

from epibench.io.methylation.ingest import read_calls  # noqa: E402
from epibench.io.textfile import UTF8_BOM  # noqa: E402

# variant name -> how the text's bytes are rewritten
VARIANTS = {
    "byte-order mark": lambda text: UTF8_BOM + text,
    "CRLF": lambda text: text.replace(b"\n", b"\r\n"),
    "byte-order mark and CRLF": lambda text: UTF8_BOM + text.replace(b"\n", b"\r\n"),
    "CR": lambda text: text.replace(b"\n", b"\r"),
}


def same_calls(got, want) -> bool:
    """Whether two ``Calls`` hold the same calls (names, positions, strands, counts)."""
    return (
        np.array_equal(got.chrom.names[got.chrom.codes], want.chrom.names[want.chrom.codes])
        and all(np.array_equal(getattr(got, a), getattr(want, a)) for a in ("pos", "strand", "n_total"))
        and np.allclose(got.n_meth, want.n_meth)
    )


def main(argv: list[str] | None = None) -> dict:
    args = records_parser(__doc__.split("\n\n")[0]).parse_args(argv)
    n_records = records_asked(args)
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        written = generate(Path(tmp), n_records, args.seed)["calls"]
        text = gzip.decompress(written.read_bytes())
        paths = {"as written": written}
        for number, (name, rewrite) in enumerate(VARIANTS.items()):
            paths[name] = Path(tmp, f"variant{number}.bed.gz")
            paths[name].write_bytes(gzip.compress(rewrite(text), compresslevel=6))
        del text
        want = read_calls(written)
        for name, path in paths.items():
            if not same_calls(read_calls(path), want):
                raise SystemExit(f"{name}: the calls read differ from the file as written")
            seconds[name] = timed(lambda: read_calls(path), args.repeats)
    rates = {name: n_records / s for name, s in seconds.items()}
    slowest = min(VARIANTS, key=rates.get)
    baseline = rates["as written"]
    for name, rate in rates.items():
        print(f"{name}: {rate:,.0f} records/s ({seconds[name]:.3f} s)")
    result = {
        "bench": "text_endings",
        "value": round(rates[slowest]),
        "unit": "records/s",
        "slowest": slowest,
        "baseline": "read_calls of the file as written (LF, no byte-order mark)",
        "baseline_value": round(baseline),
        "ratio": round(rates[slowest] / baseline, 3),
        "records": n_records,
        "records_per_s": {name: round(rate) for name, rate in rates.items()},
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
