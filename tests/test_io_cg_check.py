"""The cohort's CG check on real sequence and real WGBS: a reference one base off never passes.

Real data (tests/data/imr90_hg38_chr22/): the GRCh38 sequence of chr22:32,000,001-32,300,000
and the IMR90 CpGs inside it, written here in the methylC, Bismark coverage, bedMethyl and
MethylDackel layouts at window coordinates. The reference is the window itself, or the window
shifted by one base: one N prepended (every base one to the right) or its first base cut off
(one to the left). ``epibench reference`` and ``epibench check-inputs`` run as the workflow
runs them.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
from pathlib import Path

import pandas as pd
import pyBigWig
import pytest

from epibench.cli import main
from epibench.errors import InputError
from epibench.io.lengths import check_lengths, length_mismatches
from epibench.io.methylation.cohort_check import SampleFit, judge_cohort
from epibench.io.methylation.offsets import OffsetFit
from epibench.io.methylation.columns import Source

DATA = Path(__file__).parent / "data" / "imr90_hg38_chr22"
WINDOW_START = 32_000_000  # 0-based chr22 coordinate of the window's first base
FORMATS = ("methylc", "bismark_cov", "bedmethyl")


@pytest.fixture(scope="module")
def window() -> str:
    with gzip.open(DATA / "hg38_chr22_32000000_32300000.fa.gz", "rt") as fh:
        return "".join(line.strip() for line in fh if not line.startswith(">"))


@pytest.fixture(scope="module")
def cpgs(window) -> pd.DataFrame:
    """The real CpGs: pos (0-based in the window, the + strand C), total, methylated."""
    table = pd.read_csv(
        DATA / "Lister2009_imr90_chr22_32000000_32300000.tab.gz",
        sep="\t",
        names=["chrom", "pos1", "total", "meth"],
    )
    table["pos"] = table["pos1"] - 1 - WINDOW_START
    assert all(window[p : p + 2] == "CG" for p in table["pos"])  # the data's own claim, checked
    return table


def write_calls(path: Path, fmt: str, cpgs: pd.DataFrame) -> Path:
    """The CpGs in ``fmt``'s layout: a row per cytosine (both strands; the - strand one on the G)."""
    lines = []
    for c, total, meth in zip(cpgs["pos"], cpgs["total"], cpgs["meth"]):
        for pos, strand in ((c, "+"), (c + 1, "-")):
            level = meth / total
            if fmt == "methylc":
                lines.append(f"chr22\t{pos}\t{pos + 1}\tCG\t{level:.4f}\t{strand}\t{total}")
            elif fmt == "bismark_cov":
                lines.append(f"chr22\t{pos + 1}\t{pos + 1}\t{100 * level:.4f}\t{meth}\t{total - meth}")
            elif fmt == "bedmethyl":
                lines.append(
                    f"chr22\t{pos}\t{pos + 1}\t.\t{min(total, 1000)}\t{strand}\t{pos}\t{pos + 1}\t255,0,0"
                    f"\t{total}\t{round(100 * level)}"
                )
            elif fmt.startswith("modkit"):  # modkit_m / modkit_C: that modification code, 18 columns
                code = fmt.split("_")[1]
                lines.append(
                    f"chr22\t{pos}\t{pos + 1}\t{code}\t{total}\t{strand}\t{pos}\t{pos + 1}\t255,0,0\t{total}"
                    f"\t{100 * level:.2f}\t{meth}\t{total - meth}\t0\t0\t0\t0\t0"
                )
            else:  # methyldackel: track line, 0-based half-open, one base per row
                lines.append(f"chr22\t{pos}\t{pos + 1}\t{round(100 * level)}\t{meth}\t{total - meth}")
    header = ['track type="bedGraph" description="CpG methylation levels"\n'] if fmt == "methyldackel" else []
    path.write_text("".join(header) + "\n".join(lines) + "\n")
    return path


def shifted_fasta(tmp_path: Path, window: str, shift: str) -> Path:
    """The window as a FASTA: as is, one base to the right (an N prepended) or to the left (first base cut)."""
    seq = {"none": window, "right": "N" + window, "left": window[1:]}[shift]
    path = tmp_path / f"ref_{shift}.fa"
    path.write_text(">chr22\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
    return path


def check_inputs(
    tmp_path: Path, fasta: Path, samples: dict[str, tuple[Path, str]], capsys, bigwigs=(), records=None
) -> tuple[int, str]:
    """``epibench reference`` then ``check-inputs`` (each input's record into ``records``, a folder,
    when given): (exit code, stderr)."""
    ref_dir = tmp_path / f"prepared_{fasta.stem}"
    assert main(["reference", "--fasta", str(fasta), "--out-dir", str(ref_dir)]) == 0
    args = [
        "check-inputs",
        "--reference",
        str(ref_dir / "genome.fa"),
        "--assembly",
        str(ref_dir / "assembly.json"),
    ]
    for sample, (path, fmt) in samples.items():
        args += ["--sample", f"{sample}={path}", "--format", f"{sample}={fmt}"]
    for label, path in bigwigs:
        args += ["--bigwig", f"{label}={path}"]
    args += ["--out", str(tmp_path / "cg_check.tsv"), "--lengths-out", str(tmp_path / "lengths.tsv")]
    args += ["--records-dir", str(records)] if records else []
    capsys.readouterr()
    code = main(args)
    return code, capsys.readouterr().err


def offered_formats(message: str) -> set[str]:
    return set(re.findall(r"format (\w+)\)", message))


@pytest.mark.parametrize("fmt", [*FORMATS, "methyldackel"])
def test_real_calls_fit_the_real_window_as_read(tmp_path, window, cpgs, capsys, fmt):
    fasta = shifted_fasta(tmp_path, window, "none")
    calls = write_calls(tmp_path / f"s.{fmt}.txt", fmt, cpgs)
    code, err = check_inputs(tmp_path, fasta, {"s": (calls, fmt)}, capsys)
    assert code == 0, err
    table = pd.read_csv(tmp_path / "cg_check.tsv", sep="\t")
    assert table.loc[0, "cg_share"] == 1.0 and table.loc[0, "best_fit"] == 0 and table.loc[0, "accepted"]
    assert table.loc[0, "n_calls"] == 2 * len(cpgs)
    assembly = json.loads((tmp_path / "prepared_ref_none" / "assembly.json").read_text())
    # a 300-kb chr22 is no known assembly's, nor near one
    assert assembly["matched"] == [] and assembly["nearest_assembly"] is None
    assert "far from every known assembly's" in assembly["summary"]


@pytest.mark.parametrize("shift", ["right", "left"])
@pytest.mark.parametrize("fmt", [*FORMATS, "methyldackel"])
def test_a_shifted_reference_never_passes_whatever_format_the_message_offers(
    tmp_path, window, cpgs, capsys, fmt, shift
):
    fasta = shifted_fasta(tmp_path, window, shift)
    calls = write_calls(tmp_path / f"s.{fmt}.txt", fmt, cpgs)
    code, err = check_inputs(tmp_path, fasta, {"s": (calls, fmt)}, capsys)
    assert code == 2 and str(fasta.stem) in err and "the reference is offset or another assembly" in err
    direction = "one base to the right (+1)" if shift == "right" else "one base to the left (-1)"
    assert direction in err
    assert "calls on a CpG:" in err and "moved +1" in err  # the evidence
    for offered in offered_formats(err):
        assert offered != fmt
        code, err_then = check_inputs(tmp_path, fasta, {"s": (calls, offered)}, capsys)
        assert code == 2 and str(fasta.stem) in err_then, err_then
        assert "matches no known assembly" in err_then or "reference is offset" in err_then
    assert not (tmp_path / "cg_check.tsv").exists()


def test_structure_decides_which_format_is_offered(tmp_path, window, cpgs, capsys):
    """Bismark coverage rows have start == end: only one-based, so no zero-based format is
    offered; MethylDackel rows (end = start + 1) read one-based are a real alternative."""
    left = shifted_fasta(tmp_path, window, "left")
    right = shifted_fasta(tmp_path, window, "right")
    bismark = write_calls(tmp_path / "s.bismark.cov", "bismark_cov", cpgs)
    _, err = check_inputs(tmp_path, right, {"s": (bismark, "bismark_cov")}, capsys)
    assert offered_formats(err) == set() and "start == end, which only a one-based file has" in err
    dackel = write_calls(tmp_path / "s.bedGraph", "methyldackel", cpgs)
    _, err = check_inputs(tmp_path, left, {"s": (dackel, "methyldackel")}, capsys)
    assert offered_formats(err) == {"bismark_cov"} and "either the file is one-based" in err
    # following it fits the calls, but the reference matches no assembly: still a stop naming it
    code, err = check_inputs(tmp_path, left, {"s": (dackel, "bismark_cov")}, capsys)
    assert (
        code == 2
        and "ref_left" in err
        and "detected as methyldackel" in err
        and "matches no known assembly" in err
    )


@pytest.mark.parametrize("shift", ["right", "left"])
def test_all_samples_needing_the_same_shift_blame_the_reference(tmp_path, window, cpgs, capsys, shift):
    fasta = shifted_fasta(tmp_path, window, shift)
    samples = {f"s_{fmt}": (write_calls(tmp_path / f"{fmt}.txt", fmt, cpgs), fmt) for fmt in FORMATS}
    code, err = check_inputs(tmp_path, fasta, samples, capsys)
    assert code == 2
    first_line = err.splitlines()[0]
    assert "all 3 samples fit" in first_line and "not the samples' formats" in first_line
    assert "first bases" in first_line and fasta.stem in first_line
    for sample in samples:  # the table names every sample and its best fit
        row = next(line for line in err.splitlines() if line.lstrip().startswith(sample + " "))
        assert row.split()[-1] == ("1" if shift == "right" else "-1")


@pytest.mark.parametrize("shift", ["none", "right"])
def test_fits_measured_per_sample_are_judged_as_the_files_themselves(tmp_path, window, cpgs, capsys, shift):
    """The workflow's way: each sample's fit-calls job, then check-inputs --fits: the same table,
    or the same verdict, as check-inputs reading every file itself."""
    fasta = shifted_fasta(tmp_path, window, shift)
    samples = {f"s_{fmt}": (write_calls(tmp_path / f"{fmt}.txt", fmt, cpgs), fmt) for fmt in FORMATS}
    code, err = check_inputs(tmp_path, fasta, samples, capsys)
    table = (tmp_path / "cg_check.tsv").read_text() if code == 0 else None
    (tmp_path / "cg_check.tsv").unlink(missing_ok=True)
    reference = str(tmp_path / f"prepared_{fasta.stem}" / "genome.fa")
    fits = []
    for sample, (path, fmt) in samples.items():
        fits.append(str(tmp_path / f"{sample}.fit.json"))
        args = [
            "fit-calls",
            "--reference",
            reference,
            "--sample",
            f"{sample}={path}",
            "--format",
            f"{sample}={fmt}",
        ]
        assert main([*args, "--out", fits[-1]]) == 0
    capsys.readouterr()
    judged = [
        "check-inputs",
        "--reference",
        reference,
        "--assembly",
        str(Path(reference).parent / "assembly.json"),
    ]
    judged += [
        "--fits",
        *fits,
        "--out",
        str(tmp_path / "cg_check.tsv"),
        "--lengths-out",
        str(tmp_path / "l.tsv"),
    ]
    assert main(judged) == code
    if code == 0:
        assert (tmp_path / "cg_check.tsv").read_text() == table
    else:
        assert (
            capsys.readouterr().err.splitlines()[0].split(": ", 1)[1] == err.splitlines()[0].split(": ", 1)[1]
        )


def test_every_unreadable_file_of_a_cohort_is_named_in_one_check(tmp_path, window, cpgs, capsys):
    """Truncated downloads among the cohort's files: each sample's fit-calls job records its file's
    error and succeeds (under the SLURM profile they share one job, where the first failure stopped
    the others), and check-inputs names every such file at once; chrom-names leaves them out."""
    fasta = shifted_fasta(tmp_path, window, "none")
    samples = {}
    for name in ("good", "cut1", "cut2"):
        text = write_calls(tmp_path / f"{name}.cov", "bismark_cov", cpgs).read_bytes()
        packed = gzip.compress(text)
        path = tmp_path / f"{name}.cov.gz"
        path.write_bytes(packed if name == "good" else packed[: len(packed) // 3])  # a download cut short
        samples[name] = path
    ref_dir = tmp_path / "prepared"
    assert main(["reference", "--fasta", str(fasta), "--out-dir", str(ref_dir)]) == 0
    reference = str(ref_dir / "genome.fa")
    fits = []
    for name, path in samples.items():
        fits.append(tmp_path / f"{name}.fit.json")
        args = ["fit-calls", "--reference", reference, "--sample", f"{name}={path}", "--out", str(fits[-1])]
        assert main(args) == 0, name
        names_table = tmp_path / f"{name}.names.tsv"
        assert (
            main(
                [
                    "chrom-names",
                    "--reference",
                    reference,
                    "--input",
                    f"{name}={path}",
                    "--out",
                    str(names_table),
                ]
            )
            == 0
        )
        assert set(pd.read_csv(names_table, sep="\t")["input"]) == ({name} if name == "good" else set())
    capsys.readouterr()
    judged = ["check-inputs", "--reference", reference, "--assembly", str(ref_dir / "assembly.json")]
    judged += [
        "--fits",
        *map(str, fits),
        "--out",
        str(tmp_path / "cg.tsv"),
        "--lengths-out",
        str(tmp_path / "l.tsv"),
    ]
    assert main(judged) == 2
    err = capsys.readouterr().err
    assert "the CG check stopped at 2 of the 3 methylation files" in err
    for name in ("cut1", "cut2"):
        assert re.search(rf"^  {name} \({re.escape(str(samples[name]))}\): .*truncated", err, flags=re.M), err
    assert "  good (" not in err and not (tmp_path / "cg.tsv").exists()


def test_samples_needing_different_shifts_stop_with_a_table(tmp_path, window, cpgs, capsys):
    fasta = shifted_fasta(tmp_path, window, "none")
    good = write_calls(tmp_path / "good.methylC", "methylc", cpgs)
    early = cpgs.assign(pos=cpgs["pos"] - 1)  # written one base early: fits moved +1
    off = write_calls(tmp_path / "off.methylC", "methylc", early.iloc[1:])
    code, err = check_inputs(tmp_path, fasta, {"good": (good, "methylc"), "off": (off, "methylc")}, capsys)
    assert code == 2 and "need different shifts" in err
    rows = {
        line.split()[0]: line.split()[-1]
        for line in err.splitlines()
        if line.split()[:2] in (["good", "methylc"], ["off", "methylc"])  # the table's rows
    }
    assert rows == {"good": "0", "off": "1"}
    assert "1 of 2 samples fit so" in err


def test_a_known_assembly_lets_a_file_read_against_detection_pass():
    """The same fit passes on a reference that matches an assembly, and stops on one that matches none."""
    source = Source(Path("s.cov"), "bismark_zero_cov", 0, 6, False, (("chr1", "10", "11", "50", "1", "1"),))
    fit = SampleFit("s", source, 0, "bismark_cov", OffsetFit(1000, {-1: 0, 0: 1000, 1: 10}, on_cytosine=1000))
    table = judge_cohort([fit], {"fasta": "ref.fa", "matched": ["hg38"], "summary": "matches hg38"}, 0.95)
    assert table["accepted"].all()
    with pytest.raises(InputError, match="detected as bismark_cov"):
        judge_cohort([fit], {"fasta": "ref.fa", "matched": [], "summary": "matches no known assembly"}, 0.95)


def write_bigwig(path: Path, lengths: dict[str, int]) -> Path:
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader(list(lengths.items()))
    name, length = next(iter(lengths.items()))
    handle.addEntries([name], [0], ends=[min(length, 100)], values=[1.0])
    handle.close()
    return path


def test_a_bigwig_of_another_assembly_stops_with_a_length_table(tmp_path, window, cpgs, capsys):
    fasta = shifted_fasta(tmp_path, window, "none")
    calls = write_calls(tmp_path / "s.methylC", "methylc", cpgs)
    other = write_bigwig(tmp_path / "other.bw", {"chr22": len(window) + 1, "chrM": 16_571})
    code, err = check_inputs(tmp_path, fasta, {"s": (calls, "methylc")}, capsys, [("s.H3K4me3", other)])
    assert code == 2 and "sequence lengths differ" in err
    row = next(line for line in err.splitlines() if line.startswith("s.H3K4me3"))
    assert row.split()[:5] == ["s.H3K4me3", "chr22", "chr22", "300,001", "300,000"]


def test_each_input_has_a_record_of_its_own_whatever_the_other_samples(tmp_path, window, cpgs, capsys):
    """The records a sample's jobs depend on: its file's row of the CG table, its bigWig's length
    rows (a header alone where they agree), the same bytes checked alone or beside another sample."""
    fasta = shifted_fasta(tmp_path, window, "none")
    first = write_calls(tmp_path / "a.methylC", "methylc", cpgs)
    second = write_calls(tmp_path / "b.cov", "bismark_cov", cpgs[: len(cpgs) // 2])
    bigwig = write_bigwig(tmp_path / "a.bw", {"chr22": len(window)})
    samples = {"a": (first, "methylc"), "b": (second, "bismark_cov")}
    code, err = check_inputs(tmp_path, fasta, samples, capsys, [("a.H3K4me3", bigwig)], tmp_path / "both")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "both").iterdir()) == [
        "a.H3K4me3.lengths.tsv",
        "a.cg_check.tsv",
        "b.cg_check.tsv",
    ]
    table = pd.read_csv(tmp_path / "cg_check.tsv", sep="\t")
    record = pd.read_csv(tmp_path / "both/b.cg_check.tsv", sep="\t")
    pd.testing.assert_frame_equal(record, table[table["sample"] == "b"].reset_index(drop=True))
    lengths = pd.read_csv(tmp_path / "both/a.H3K4me3.lengths.tsv", sep="\t")
    assert lengths.empty and "chromosome" in lengths.columns
    code, err = check_inputs(
        tmp_path, fasta, {"a": samples["a"]}, capsys, [("a.H3K4me3", bigwig)], tmp_path / "a"
    )
    assert code == 0, err
    for name in ("a.cg_check.tsv", "a.H3K4me3.lengths.tsv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "both" / name).read_bytes()


# chr21 and chr22 (bp) as UCSC's chromInfo gives them
HG19 = {"chr21": 48_129_895, "chr22": 51_304_566}
HG38 = {"chr21": 46_709_983, "chr22": 50_818_468}


@pytest.mark.parametrize(
    "header, theirs, chain",
    [
        (HG19, "hg19's", "hg19ToHg38.over.chain.gz"),
        ({"21": HG19["chr21"], "22": HG19["chr22"]}, "hg19's", "hg19ToHg38.over.chain.gz"),  # Ensembl's names
        ({"chr21": 1_000, "chr22": 2_000}, "no known assembly's", "<theirs>ToHg38.over.chain.gz"),
    ],
    ids=["hg19", "GRCh37 names", "unknown"],
)
def test_a_bigwig_of_another_assembly_is_named_with_the_chain_to_lift_it(header, theirs, chain):
    """Roadmap's hg19 bigWigs given with an hg38 FASTA: the error says whose lengths the header has
    and which UCSC chain lifts them to the reference's assembly."""
    headers = {"s1.H3K4me3": header, "s2.H3K4me3": header}
    mismatches = length_mismatches(HG38, headers)
    with pytest.raises(InputError) as info:
        check_lengths(mismatches, "hg38.fa", headers, ["hg38"], paths={"s1.H3K4me3": "/data/E003-H3K4me3.bw"})
    message = str(info.value)
    # the label the table shows, and its file where the caller gives it
    assert f"s1.H3K4me3 (/data/E003-H3K4me3.bw): its header's lengths are {theirs}" in message
    assert f"s2.H3K4me3: its header's lengths are {theirs}" in message
    assert chain in message and "lift them over to hg38" in message


def test_calls_on_no_cpg_at_any_shift_are_told_how_to_lift_them():
    source = Source(Path("s.cov"), "bismark_cov", 0, 6, False, (("chr1", "10", "10", "50", "1", "1"),))
    fit = SampleFit("s", source, 1, "bismark_cov", OffsetFit(1000, {-1: 40, 0: 45, 1: 38}, on_cytosine=300))
    with pytest.raises(InputError) as info:
        judge_cohort([fit], {"fasta": "ref.fa", "matched": ["mm39"], "summary": "matches mm39"}, 0.95)
    assert "Calls of another assembly: lift them over to mm39" in str(info.value)
    assert "<theirs>ToMm39.over.chain.gz" in str(info.value)


@pytest.mark.parametrize(
    "named, matched, said",
    [
        ("hg38", ["hs1"], "hg38's NCBI accessions): lift them over to hs1"),
        ("GRCh37", ["hg38"], "GRCh37's NCBI accessions): lift them over to hg38"),
        ("hg38", ["hg38"], "Calls of another assembly: lift them over to hg38"),  # names of its own assembly
        ("", ["hg38"], "Calls of another assembly: lift them over to hg38"),
    ],
)
def test_calls_named_by_another_assemblys_accessions_get_that_assemblys_chain(named, matched, said):
    """A sample renamed from NCBI accessions of GRCh38 (NC_000001.11) onto a T2T FASTA: the liftOver
    line names GRCh38 and UCSC's hg38ToHs1 chain; where the names are the reference's own assembly's,
    or no assembly's, the line stays the general one."""
    source = Source(Path("s.cov"), "bismark_cov", 0, 6, False, (("chr1", "10", "10", "50", "1", "1"),))
    off = OffsetFit(1000, {-1: 40, 0: 45, 1: 38}, on_cytosine=300)
    fit = SampleFit("s", source, 1, "bismark_cov", off, named_assembly=named)
    with pytest.raises(InputError) as info:
        judge_cohort([fit], {"fasta": "ref.fa", "matched": matched, "summary": ""}, 0.95)
    message = str(info.value)
    assert said in message
    ucsc = {"hg38": "hg38", "GRCh37": "hg19"}.get(named, "<theirs>")
    if named not in ("", *matched):
        target = matched[0][0].upper() + matched[0][1:]
        assert (
            f"{ucsc}To{target}.over.chain.gz from hgdownload.soe.ucsc.edu/goldenPath/{ucsc}/liftOver/"
            in message
        )
    else:
        assert "<theirs>To" in message and "NCBI accessions" not in message


def test_real_calls_named_by_grch37_accessions_and_off_the_cpgs_are_named_grch37(
    tmp_path, window, cpgs, capsys
):
    """The real CpGs 1,000 bp off (as another build's coordinates of a region are), named by GRCh37's
    RefSeq accession of chr22 (NC_000022.10, as a file aligned to NCBI's GRCh37 FASTA is): check-inputs
    renames them onto the window's chr22, finds them on CpGs at no shift, and names GRCh37 with UCSC's
    hg19 chain; the same calls named chr22 get the general line. Named by GRCh38's accession
    (NC_000022.11) and as measured, the calls pass: a name alone stops nothing."""
    fasta = shifted_fasta(tmp_path, window, "none")
    inside = cpgs[cpgs["pos"] + 1_000 + 2 < len(window)]
    moved = write_calls(tmp_path / "moved.cov", "bismark_cov", inside.assign(pos=inside["pos"] + 1_000))
    lines = moved.read_text().splitlines(keepends=True)
    named = tmp_path / "grch37.cov"
    named.write_text("".join("NC_000022.10" + line.removeprefix("chr22") for line in lines))
    code, err = check_inputs(tmp_path, fasta, {"s": (named, "bismark_cov")}, capsys)
    assert code == 2, err
    assert "Calls of another assembly (their chromosome names are GRCh37's NCBI accessions)" in err
    assert (
        "hg19To<reference>.over.chain.gz chain from hgdownload.soe.ucsc.edu/goldenPath/hg19/liftOver/" in err
    )
    assert "or give GRCh37's FASTA as reference.fasta" in err
    code, err = check_inputs(tmp_path, fasta, {"s": (moved, "bismark_cov")}, capsys)
    assert code == 2 and "Calls of another assembly: " in err and "<theirs>To<reference>" in err
    as_measured = write_calls(tmp_path / "as_measured.cov", "bismark_cov", cpgs).read_text().splitlines(True)
    grch38 = tmp_path / "grch38.cov"
    grch38.write_text("".join("NC_000022.11" + line.removeprefix("chr22") for line in as_measured))
    code, err = check_inputs(tmp_path, fasta, {"s": (grch38, "bismark_cov")}, capsys)
    assert code == 0, err


def test_one_sample_of_another_genome_is_not_taken_for_a_shift():
    """Samples fitting as read beside one whose calls sit on CpGs at no shift: the verdict is that
    one sample is off the reference (its chance best of 1.8 % at -1 is no shift), with the liftOver line."""
    source = Source(Path("s.cov"), "bismark_cov", 0, 6, False, (("chr1", "10", "10", "50", "1", "1"),))
    good = OffsetFit(1000, {-1: 20, 0: 990, 1: 30}, on_cytosine=995)
    other = OffsetFit(1000, {-1: 18, 0: 17, 1: 16}, on_cytosine=300)
    fits = [SampleFit(name, source, 1, "bismark_cov", good) for name in ("a", "b")]
    fits.append(SampleFit("other", source, 1, "bismark_cov", other))
    with pytest.raises(InputError) as info:
        judge_cohort(fits, {"fasta": "ref.fa", "matched": ["hg38"], "summary": "matches hg38"}, 0.95)
    message = str(info.value)
    assert "1 of 3 samples do not sit on its CpGs" in message and "different shifts" not in message
    assert "other (s.cov): wrong assembly?" in message and "Calls of another assembly" in message
    row = next(line for line in message.splitlines() if line.split()[:1] == ["other"])
    assert row.split()[-1] == "none"


def test_a_hard_masked_reference_is_named_as_such_not_as_another_assembly(tmp_path, window, cpgs, capsys):
    """The real window with 40 % of its 500-bp blocks written as N (as Ensembl's dna_rm FASTA writes
    repeats): the calls on the rest fit as read, so the stop names the masking and the unmasked FASTA
    to give, not another assembly to lift over from."""
    rng = __import__("random").Random(3)
    masked = "".join(
        "N" * len(window[b : b + 500]) if rng.random() < 0.4 else window[b : b + 500]
        for b in range(0, len(window), 500)
    )
    fasta = tmp_path / "ref_rm.fa"
    fasta.write_text(">chr22\n" + "\n".join(masked[i : i + 60] for i in range(0, len(masked), 60)) + "\n")
    samples = {
        fmt: (write_calls(tmp_path / f"{fmt}.txt", fmt, cpgs), fmt) for fmt in ("bismark_cov", "bedmethyl")
    }
    code, err = check_inputs(tmp_path, fasta, samples, capsys)
    assert code == 2
    assert "sit on an N of" in err and "hard-masked FASTA" in err and "dna_sm" in err
    assert "wrong assembly?" not in err and "Calls of another assembly" not in err


def test_calls_on_no_cpg_and_some_on_n_still_get_the_liftover_advice():
    """Calls on N that leave the rest off the CpGs too are another assembly's, as before."""
    source = Source(Path("s.cov"), "bismark_cov", 0, 6, False, (("chr1", "10", "10", "50", "1", "1"),))
    fit = SampleFit("s", source, 1, "bismark_cov", OffsetFit(1000, {-1: 40, 0: 45, 1: 38}, 0, 45, 300, 200))
    with pytest.raises(InputError) as info:
        judge_cohort([fit], {"fasta": "ref.fa", "matched": ["hg38"], "summary": "matches hg38"}, 0.95)
    assert "wrong assembly?" in str(info.value) and "Calls of another assembly" in str(info.value)


def test_calls_on_no_sequence_of_the_reference_are_told_of_the_aliases(tmp_path, window, cpgs, capsys):
    """Calls whose sequence names the reference lacks (another spelling) stop the check naming the
    names, not as calls on no CpG at any shift."""
    fasta = shifted_fasta(tmp_path, window, "none")
    calls = write_calls(tmp_path / "s.methylC", "methylc", cpgs)
    calls.write_text(calls.read_text().replace("chr22\t", "scaffold_22\t"))
    code, err = check_inputs(tmp_path, fasta, {"s": (calls, "methylc")}, capsys)
    assert code == 2 and f"scaffold_22: {2 * len(cpgs)}" in err
    assert "reference.chrom_aliases" in err and "at any shift" not in err


def test_a_mitochondrial_length_only_warns(tmp_path, window, cpgs, capsys, caplog):
    fasta = tmp_path / "with_mt.fa"
    fasta.write_text(shifted_fasta(tmp_path, window, "none").read_text() + ">MT\n" + "ACGT" * 4142 + "A\n")
    calls = write_calls(tmp_path / "s.methylC", "methylc", cpgs)
    ucsc = write_bigwig(tmp_path / "ucsc.bw", {"chr22": len(window), "chrM": 16_571})
    code, err = check_inputs(tmp_path, fasta, {"s": (calls, "methylc")}, capsys, [("s.H3K4me3", ucsc)])
    assert code == 0, err
    assert "chrM is 16,571 bp, the reference's MT 16,569" in caplog.text
    lengths = pd.read_csv(tmp_path / "lengths.tsv", sep="\t")
    assert lengths[["chromosome", "length", "reference_length"]].values.tolist() == [["chrM", 16571, 16569]]


def test_calls_beyond_the_end_of_a_sequence_stop_ingest(tmp_path, window, cpgs, capsys):
    fasta = shifted_fasta(tmp_path, window, "none")
    ref_dir = tmp_path / "prepared"
    assert main(["reference", "--fasta", str(fasta), "--out-dir", str(ref_dir)]) == 0
    beyond = pd.concat([cpgs, pd.DataFrame({"pos": [len(window) + 5], "total": [9], "meth": [3]})])
    calls = write_calls(tmp_path / "s.methylC", "methylc", beyond)
    capsys.readouterr()
    code = main(
        [
            "ingest",
            "--input",
            str(calls),
            "--sample",
            "s",
            "--reference",
            str(ref_dir / "genome.fa"),
            "--out",
            str(tmp_path / "s.parquet"),
            "--qc",
            str(tmp_path / "s.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "sequence lengths differ" in err and "largest position + 1" in err
    assert f"{len(window) + 7:,}" in err and not (tmp_path / "s.parquet").exists()


def test_two_samples_with_the_same_calls_are_warned_of(tmp_path, window, cpgs, capsys, caplog):
    """One file copied under two samples' names (a sheet mistake), a third sample with other reads at
    the same CpGs: the check passes and warns of the two, naming both files, not of the third."""
    fasta = shifted_fasta(tmp_path, window, "none")
    first = write_calls(tmp_path / "a.methylC", "methylc", cpgs)
    copy = tmp_path / "b.methylC"
    copy.write_bytes(first.read_bytes())
    other = cpgs.assign(meth=cpgs["total"] - cpgs["meth"])  # the same CpGs, other reads
    samples = {
        "s1": (first, "methylc"),
        "s2": (copy, "methylc"),
        "s3": (write_calls(tmp_path / "c.methylC", "methylc", other), "methylc"),
    }
    with caplog.at_level(logging.WARNING):
        code, _ = check_inputs(tmp_path, fasta, samples, capsys)
    assert code == 0
    warned = [r.getMessage() for r in caplog.records if "carry the same calls" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("samples s1, s2 carry the same calls")
    assert str(first) in warned[0] and str(copy) in warned[0] and "s3" not in warned[0]


def test_samples_whose_pileups_count_different_modifications_are_warned_of(
    tmp_path, window, cpgs, capsys, caplog
):
    """modkit's 5mC (code m) beside --combine-mods' 5mC+5hmC (code C): the check passes, warns naming
    each sample's kind, and the records keep what each counts."""
    fasta = shifted_fasta(tmp_path, window, "none")
    samples = {
        name: (write_calls(tmp_path / f"{name}.bed", f"modkit_{code}", cpgs), "modkit")
        for name, code in (("normal", "m"), ("tumour", "C"), ("tumour2", "C"))
    }
    with caplog.at_level(logging.WARNING):
        code, _ = check_inputs(tmp_path, fasta, samples, capsys)
    assert code == 0
    warned = [r.getMessage() for r in caplog.records if "count different modifications" in r.getMessage()]
    assert len(warned) == 1 and "5mC: normal; 5mC+5hmC: tumour, tumour2" in warned[0]
    # the table the report shows says it too, beside the warning that only the logs keep
    table = pd.read_csv(tmp_path / "cg_check.tsv", sep="\t").set_index("sample")
    assert table["counts_as_methylated"].to_dict() == {
        "normal": "5mC",
        "tumour": "5mC+5hmC",
        "tumour2": "5mC+5hmC",
    }
    for name, (path, _) in samples.items():  # a sample's fit record (rule fit_calls) keeps it
        out = tmp_path / f"{name}.fit.json"
        reference = tmp_path / f"prepared_{fasta.stem}" / "genome.fa"
        assert (
            main(
                ["fit-calls", "--reference", str(reference), "--sample", f"{name}={path}", "--out", str(out)]
            )
            == 0
        )
        assert json.loads(out.read_text())[0]["modified"] == ("5mC" if name == "normal" else "5mC+5hmC")
    caplog.clear()
    samples.pop("normal")
    with caplog.at_level(logging.WARNING):
        assert check_inputs(tmp_path, fasta, samples, capsys)[0] == 0
    assert "count different modifications" not in caplog.text


@pytest.mark.parametrize("nanopore_format", ["modkit", "modkit_5mc_5hmc"])
def test_a_bisulfite_sample_beside_a_nanopore_pileup_of_5mc_alone_is_warned_of(
    tmp_path, window, cpgs, capsys, caplog, nanopore_format
):
    """Bisulfite reads 5hmC as 5mC: a methylC sample counts 5mC+5hmC, a modkit pileup's code m rows 5mC
    alone, unless read as modkit_5mc_5hmc."""
    fasta = shifted_fasta(tmp_path, window, "none")
    samples = {
        "wgbs": (write_calls(tmp_path / "wgbs.methylC", "methylc", cpgs), "methylc"),
        "ont": (write_calls(tmp_path / "ont.bed", "modkit_m", cpgs), nanopore_format),
    }
    with caplog.at_level(logging.WARNING):
        assert check_inputs(tmp_path, fasta, samples, capsys)[0] == 0
    warned = [r.getMessage() for r in caplog.records if "count different modifications" in r.getMessage()]
    if nanopore_format == "modkit":
        assert len(warned) == 1 and "5mC+5hmC: wgbs; 5mC: ont" in warned[0]
        assert "modkit_5mc_5hmc" in warned[0]
    else:
        assert warned == []


def test_a_reference_of_no_known_assembly_beside_mm10_bigwigs_is_told_it_may_be_an_excerpt():
    """A quick trial on 220 kb of mm10's chr7 and chr11 with ENCODE's mm10 bigWigs: the headers are
    mm10's whole chromosomes; the error names the excerpt as a possible cause beside the liftOver."""
    mm10 = {"chr7": 145_441_459, "chr11": 122_082_543}
    headers = {"liver.H3K4me3": mm10}
    mismatches = length_mismatches({"chr7": 220_000, "chr11": 200_000}, headers)
    with pytest.raises(InputError) as info:
        check_lengths(mismatches, "excerpt.fa", headers, [])
    message = str(info.value)
    assert "its header's lengths are mm10's" in message
    assert "if the reference FASTA is an excerpt of mm10" in message
    with pytest.raises(InputError) as info:  # a reference of a known assembly: no excerpt
        check_lengths(length_mismatches(HG38, {"s.H3K4me3": HG19}), "hg38.fa", {"s.H3K4me3": HG19}, ["hg38"])
    assert "excerpt" not in str(info.value)
