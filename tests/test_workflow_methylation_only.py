"""End-to-end: a methylation-only cohort (WGBS, no histone ChIP) through the whole workflow.

Two samples with methylation calls and a sample sheet of sample, methylation and format only,
``marks: []``, the CNN and the hybrid at tiny sizes, nothing optional: the models read the
sequence alone, the tree baseline runs as gbm_region, the mark ablation (on by default) and the
histone figures are skipped, and the report says why. sample2's calls come as a PacBio HiFi
pileup (pb-CpG-tools' ``.combined.bed.gz``: strands collapsed onto the C, its v3 header; format
detected), dealt to two lanes that the sheet lists on two rows of sample2 (pooled per CpG at
ingest), so the scattered ingest reads that format end to end, and its sequences are named by
GenBank-style accessions that only the cohort's UCSC-style ``chromAlias.txt``
(``reference.chrom_aliases``) ties to the FASTA's names. As a new user brings a cohort: the FASTA
ends with a 3-kb mitochondrion (chrM) the pileup has calls on, ingested but left out of every split;
the gene models are JGI Mycocosm's GFF2 (``name``, ``transcriptId``), bzip2-compressed; the sample
sheet is a CSV Excel saved on Windows (Windows-1252, CRLF, an empty last row) naming a folder with
an accent, and sample1's format cell names the columns to read (``columns:...``, quoted: it holds
commas) of its bedMethyl, xz-compressed. Kept
small for CI: one run of the default target, well under 2 minutes on 2 cores.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import random
import re
import subprocess
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import BIN, copy_workflow, snakemake, tiny_demo_data
from epibench.io.methylation import ingest
from epibench.io.methylation.canonical import MIN_COVERAGE  # the config leaves ingest.min_coverage at it
from epibench.io.reference import Reference

pytestmark = pytest.mark.workflow
RESULTS = "results/tiny"
SAMPLE1_COLUMNS = "columns:chrom=1,pos=2,strand=6,total=10,percent=11,base=0"  # a bedMethyl's columns


PBCPG_HEADER = (
    "##pb-cpg-tools-version=3.0.0\n##pileup-mode=count\n#chrom\tbegin\tend\tmod_score\ttype\tcov\t"
    + ("mod_count\tunmod_count\tavg_mod_score\tavg_unmod_score\n")
)


MITO_BP, MITO_CPG_EVERY = 3_000, 50
MITO_READS, MITO_METH = 40, 1  # sample2's pileup at each chrM CpG


def _accession(chrom: str) -> str:
    """The made-up GenBank-style name sample2's pileup gives the FASTA's ``chrom`` (chr1 -> CM099001.1,
    chrM -> CM099999.1)."""
    return "CM099999.1" if chrom == "chrM" else f"CM099{int(chrom.removeprefix('chr')):03d}.1"


def _add_mitochondrion(root: Path) -> list[int]:
    """Append a random ``MITO_BP`` chrM to the tiny FASTA, a CG every ``MITO_CPG_EVERY`` bp; returns
    the CGs' C positions (0-based)."""
    rng = random.Random(5)
    bases = [rng.choice("AT") for _ in range(MITO_BP)]  # no CG but those placed
    positions = list(range(10, MITO_BP - 10, MITO_CPG_EVERY))
    for c in positions:
        bases[c : c + 2] = "CG"
    text = "".join(bases)
    with open(root / "resources/tiny/genome.fa", "a") as fasta:
        fasta.write(">chrM\n" + "".join(text[i : i + 60] + "\n" for i in range(0, MITO_BP, 60)))
    return positions


def _as_jgi_gff(root: Path, gtf: str) -> Path:
    """The GTF's exon rows as JGI Mycocosm's GFF2 writes gene models (``name "<gene>"; transcriptId
    <number>``, no gene or transcript rows), bzip2-compressed beside it; its relative path."""
    numbers: dict[str, int] = {}
    rows = []
    for line in (root / gtf).read_text().splitlines():
        fields = line.split("\t")
        if line.startswith("#") or fields[2] != "exon":
            continue
        gene = re.search(r'gene_id "([^"]+)"', fields[8]).group(1)
        transcript = re.search(r'transcript_id "([^"]+)"', fields[8]).group(1)
        number = numbers.setdefault(transcript, 1000 + len(numbers))
        rows.append("\t".join([fields[0], "JGI", *fields[2:8], f'name "{gene}"; transcriptId {number}']))
    path = Path(gtf).parent / "genes.jgi.gff.bz2"
    (root / path).write_bytes(bz2.compress(("\n".join(rows) + "\n").encode()))
    return path


def _as_pbcpg(root: Path, cov: str, mito: list[int]) -> Path:
    """A Bismark coverage file's calls as pb-CpG-tools writes a pileup (count mode): the two strands
    of each CpG summed onto its C (0-based begin), and calls at the chrM CpGs ``mito``, sequences
    named by ``_accession``, beside it; its relative path."""
    genome: dict[str, str] = {}
    for line in (root / "resources/tiny/genome.fa").read_text().splitlines():
        if line.startswith(">"):
            chrom = line[1:].split()[0]
            genome[chrom] = ""
        else:
            genome[chrom] += line.strip().upper()
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    with gzip.open(root / cov, "rt") as text:
        for line in text:
            chrom, position, _, _, meth, unmeth = line.split("\t")
            c = int(position) - 1 if genome[chrom][int(position) - 1] == "C" else int(position) - 2
            old = counts.get((chrom, c), (0, 0))
            counts[(chrom, c)] = (old[0] + int(meth), old[1] + int(meth) + int(unmeth))
    counts |= {("chrM", c): (MITO_METH, MITO_READS) for c in mito}
    path = Path(cov).parent / "sample2.combined.bed.gz"
    with gzip.open(root / path, "wt") as out:
        out.write(PBCPG_HEADER)
        for (chrom, c), (meth, total) in sorted(counts.items()):
            score = 100 * meth / total if total else 0.0
            out.write(
                f"{_accession(chrom)}\t{c}\t{c + 1}\t{score:.1f}\tTotal\t{total}\t{meth}\t{total - meth}\t90.0\t10.0\n"
            )
    return path


def _as_lanes(root: Path, pileup: Path) -> list[Path]:
    """The pileup's reads dealt to two lanes as a sequencer's lanes would hold them (each row's counts
    halved, lane 2 the rest; a row of no reads left out), chrM's all in lane 1: two files that pool
    to the pileup; their relative paths."""
    with gzip.open(root / pileup, "rt") as text:
        lines = text.read().splitlines()
    lanes: list[list[str]] = [[], []]
    for line in lines:
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        meth, total = int(fields[6]), int(fields[5])
        halves = ((meth // 2, total // 2), (meth - meth // 2, total - total // 2))
        for lane, (m, t) in enumerate(((meth, total), (0, 0)) if fields[0] == _accession("chrM") else halves):
            if t:
                counts = [f"{100 * m / t:.1f}", fields[4], str(t), str(m), str(t - m)]
                lanes[lane].append("\t".join([*fields[:3], *counts, *fields[8:]]))
    paths = [pileup.parent / f"sample2.lane{k}.combined.bed.gz" for k in (1, 2)]
    for path, rows in zip(paths, lanes):
        (root / path).write_bytes(gzip.compress((PBCPG_HEADER + "\n".join(rows) + "\n").encode()))
    return paths


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A copy of the workflow with a two-sample methylation-only cohort, after one complete run."""
    root = copy_workflow(tmp_path_factory.mktemp("methylation only"))
    sheet_path = tiny_demo_data(root, samples=2)
    mito = _add_mitochondrion(root)
    sheet = pd.read_csv(sheet_path, sep="\t", dtype=str)
    pileup = _as_pbcpg(root, sheet.loc[sheet["sample"] == "sample2", "methylation"].item(), mito)
    lanes = [
        {"sample": "sample2", "methylation": str(lane), "format": "auto"} for lane in _as_lanes(root, pileup)
    ]
    sheet = pd.concat([sheet[sheet["sample"] != "sample2"], pd.DataFrame(lanes)], ignore_index=True)
    accented = Path("resources/tiny/données")  # a folder a French lab might name
    (root / accented).mkdir()
    sample1 = Path(sheet.loc[sheet["sample"] == "sample1", "methylation"].item())
    sample1_xz = accented / (sample1.name.removesuffix(".gz") + ".xz")  # the gzip original stays
    (root / sample1_xz).write_bytes(lzma.compress(gzip.decompress((root / sample1).read_bytes())))
    sheet.loc[sheet["sample"] == "sample1", "methylation"] = str(sample1_xz)
    # sample1's bedMethyl read by the columns the sheet names (a quoted CSV cell)
    sheet.loc[sheet["sample"] == "sample1", "format"] = SAMPLE1_COLUMNS
    csv_text = sheet[["sample", "methylation", "format"]].to_csv(index=False, lineterminator="\r\n")
    (root / "resources/tiny/samples.csv").write_bytes((csv_text + ",,\r\n").encode("cp1252"))
    for bigwig in sheet_path.parent.glob("*.bw"):  # no mark file is left for any rule to read
        bigwig.unlink()
    config = yaml.safe_load((root / "config/tiny.yaml").read_text())
    config["samples"] = "resources/tiny/samples.csv"
    config["reference"]["gtf"] = str(_as_jgi_gff(root, config["reference"]["gtf"]))
    aliases = root / "resources/tiny/chromAlias.txt"
    aliases.write_text(
        "# ucsc\tgenbank\n" + "".join(f"{c}\t{_accession(c)}\n" for c in ("chr1", "chr2", "chr3", "chrM"))
    )
    config["reference"]["chrom_aliases"] = str(aliases.relative_to(root))
    config["marks"] = []
    config["models"] = {name: config["models"][name] for name in ("cnn", "hybrid")}
    config["shards"]["scatter_min_share"] = 1.0  # the three chromosomes in one shard job per sample
    config["train"]["threads"] = 1  # the two trainings side by side on 2 cores
    # no ensemble, only the tree baseline; ablation on by default, skipped without marks
    config["evaluate"] = {"n_boot": 20, "baselines": ["gbm_histone"]}
    del config["learning_curve"]
    config["attribute"]["max_steps"] = config["attribute"]["n_steps"]
    (root / "config/tiny.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(root)
    (root / "run.out").write_text(run.stdout + run.stderr)
    return root


def test_trainings_start_before_the_baseline_ready_with_them(workdir):
    """The longest jobs first: of the jobs the shards make ready on 2 cores, both trainings (one
    thread each) start before the baseline (rule train's priority)."""
    started = re.findall(r"^(?:local)?rule (\w+):$", (workdir / "run.out").read_text(), re.M)
    assert started.count("train") == 2 and "baseline" in started, started
    assert started.index("baseline") > max(i for i, rule in enumerate(started) if rule == "train"), started


def test_models_train_on_the_sequence_and_record_zero_marks(workdir):
    for model in ("cnn", "hybrid"):
        meta = json.loads((workdir / f"{RESULTS}/models/{model}/model.json").read_text())
        assert meta["n_marks"] == 0 and meta["marks"] == [], model
    for manifest_path in (workdir / f"{RESULTS}/shards").glob("sample*/*/manifest.json"):
        manifest = json.loads(manifest_path.read_text())
        assert manifest["marks"] == [] and manifest["arrays"]["hist"]["shape"][1] == 0


def test_leaderboard_has_the_models_and_the_baseline_without_histone_features(workdir):
    board = pd.read_csv(workdir / f"{RESULTS}/evaluation/leaderboard.tsv", sep="\t").set_index("model")
    assert set(board.index) == {"cnn", "hybrid", "ceiling", "gbm_region"}
    assert board.loc["gbm_region", "kind"] == "baseline"
    record = json.loads((workdir / f"{RESULTS}/evaluation/baselines/gbm_region.json").read_text())
    assert not any("_bin" in feature for feature in record["features"]), "no histone feature"


def test_report_says_no_histone_marks_and_shows_no_histone_figure(workdir):
    html = unescape((workdir / f"{RESULTS}/report/index.html").read_text())
    evaluation = html[html.index("id='Evaluation'") : html.index("id='Interpretation'")]
    interpretation = html[html.index("id='Interpretation'") :]
    assert "no histone marks" in evaluation and "no histone marks" in interpretation
    images = re.findall(r"<img src='([^']+)'", html)
    assert "interpret_sequence_attribution.png" in images and "interpret_cpg_explanations.png" in images
    assert not [i for i in images if "histone_attribution" in i or "attention" in i or "ablation" in i]
    interpret = workdir / f"{RESULTS}/interpret"
    assert not (interpret / "histone_attribution.png").exists() and not (interpret / "attention.png").exists()
    assert not (workdir / f"{RESULTS}/evaluation/ablation").exists()


def test_tracks_are_exported_without_mark_bigwigs(workdir):
    hub = json.loads((workdir / f"{RESULTS}/tracks/hub.json").read_text())
    assert {entry["name"] for entry in hub} >= {
        "hybrid.sample1.predicted",
        "hybrid.sample1.attribution",
        "test.sample1.observed",
    }
    # no mark to link: inputs/ holds the linked results alone (sample1's variant deltas)
    linked = sorted(p.name for p in (workdir / f"{RESULTS}/tracks/inputs").glob("*.bw"))
    assert linked == ["sample1.variant_delta.bw"]


def test_the_pacbio_pileup_is_read_as_its_cpgs(workdir):
    """sample2's canonical CpGs, pooled from its two lanes' pileups, are the whole pileup's rows with
    at least min_coverage reads, its counts, on the FASTA's sequences its accessions name."""
    qc = json.loads((workdir / f"{RESULTS}/qc/sample2.ingest.json").read_text())
    assert [f["format"] for f in qc["files"]] == ["pbcpg", "pbcpg"] and qc["n_off_cg_dropped"] == 0
    assert qc["n_cpgs_pooled"] > 1000 and [Path(p).name for p in qc["inputs"]] == [
        "sample2.lane1.combined.bed.gz",
        "sample2.lane2.combined.bed.gz",
    ]
    rows = pd.read_csv(workdir / "resources/tiny/sample2.combined.bed.gz", sep="\t", comment="#", header=None)
    rows = rows[rows[5] >= MIN_COVERAGE].sort_values([0, 1], ignore_index=True)
    table = pd.concat(
        pd.read_parquet(p) for p in (workdir / f"{RESULTS}/methylation/sample2/cpgs").glob("*.parquet")
    )
    table = table.sort_values(["chrom", "pos"], ignore_index=True)
    assert len(table) == len(rows) > 1000
    fasta_name = {_accession(c): c for c in ("chr1", "chr2", "chr3", "chrM")}
    assert table["chrom"].astype(str).tolist() == rows[0].map(fasta_name).tolist()
    assert table["pos"].tolist() == rows[1].tolist()
    names = pd.read_csv(workdir / f"{RESULTS}/qc/sample_chrom_names.tsv", sep="\t")
    renamed = names[names["input"].str.startswith("sample2#")]
    assert dict(zip(renamed["name_in_file"], renamed["name_in_reference"])) == fasta_name
    assert table["n_meth"].tolist() == rows[6].tolist() and table["n_total"].tolist() == rows[5].tolist()


def test_the_mitochondrion_is_ingested_but_left_out_of_every_split(workdir):
    """chrM's calls reach sample2's canonical table (QC), but the plan leaves chrM out: no shard row,
    no prediction, its CpGs counted in the shard manifests."""
    plan = pd.read_csv(workdir / f"{RESULTS}/shards/plan/splits.bed", sep="\t", header=None)
    assert plan[plan[0] == "chrM"].values.tolist() == [["chrM", 0, MITO_BP, "left_out"]]
    assert set(plan.loc[plan[0] != "chrM", 3]) == {"train", "val", "test"}
    table = pd.concat(
        pd.read_parquet(p) for p in (workdir / f"{RESULTS}/methylation/sample2/cpgs").glob("*.parquet")
    )
    n_mito = int((table["chrom"].astype(str) == "chrM").sum())
    assert n_mito == len(range(10, MITO_BP - 10, MITO_CPG_EVERY))
    left_out = sum(
        json.loads(p.read_text())["counts"]["left_out_sequence"]
        for p in (workdir / f"{RESULTS}/shards/sample2").glob("*/manifest.json")
    )
    assert left_out == n_mito
    predictions = list((workdir / RESULTS).glob("evaluation/predictions/*.parquet"))
    assert predictions and all(
        "chrM" not in set(pd.read_parquet(p)["chrom"].astype(str)) for p in predictions
    )


def test_the_jgi_gene_models_give_the_regions_the_gtf_gives(workdir, tmp_path):
    """The regions stage read the JGI GFF2; the demo's own GTF through the same command gives the same
    CpG classes."""
    config = yaml.safe_load((workdir / "config/tiny.yaml").read_text())
    out = tmp_path / "regions.parquet"
    subprocess.run(
        [
            str(BIN / "epibench"),
            "regions",
            "--reference",
            str(workdir / f"{RESULTS}/reference/genome.fa"),
            "--gtf",
            str(workdir / "resources/tiny/genes.gtf"),
            "--enhancers",
            str(workdir / config["reference"]["enhancers"]),
            "--out",
            str(out),
            "--summary",
            str(tmp_path / "summary.tsv"),
            "--chrom-names",
            str(tmp_path / "chrom_names.tsv"),
        ],
        check=True,
        capture_output=True,
    )
    from_jgi = pd.read_parquet(workdir / f"{RESULTS}/regions/cpg_regions.parquet")
    from_gtf = pd.read_parquet(out)
    pd.testing.assert_frame_equal(from_jgi, from_gtf)
    assert (from_gtf["region"] == 0).sum() > 100, "promoters from the transcripts' starts"


def test_the_windows_csv_sheet_reads_its_accented_folder(workdir):
    """The sheet is not UTF-8 (é in Windows-1252); sample1's xz-compressed calls in
    resources/tiny/données were read, by the columns its format cell names: the CpGs the bedMethyl
    reader gives of the gzip original."""
    sheet = (workdir / "resources/tiny/samples.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        sheet.decode("utf-8")
    assert "données" in sheet.decode("cp1252") and f'"{SAMPLE1_COLUMNS}"' in sheet.decode("cp1252")
    tables = sorted((workdir / f"{RESULTS}/methylation/sample1/cpgs").glob("*.parquet"))
    got = pd.concat([pd.read_parquet(p) for p in tables], ignore_index=True)
    (calls,) = (workdir / "resources/tiny/données").iterdir()
    assert calls.suffix == ".xz"
    original = workdir / "resources/tiny" / (calls.name.removesuffix(".xz") + ".gz")
    expected, _ = ingest(original, Reference(workdir / f"{RESULTS}/reference/genome.fa"), fmt="bedmethyl")
    assert len(got) > 1000
    pd.testing.assert_frame_equal(
        got.astype({"chrom": str}).sort_values(["chrom", "pos"]).reset_index(drop=True),
        expected.astype({"chrom": str}).sort_values(["chrom", "pos"]).reset_index(drop=True),
        check_dtype=False,
    )
    qc = json.loads((workdir / f"{RESULTS}/qc/sample1.ingest.json").read_text())
    assert qc["format"] == SAMPLE1_COLUMNS
