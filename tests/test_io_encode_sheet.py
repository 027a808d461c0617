"""A sample sheet from the ENCODE portal's metadata.tsv (epibench.io.encode_sheet): rows in the
portal's own columns (its header as the batch download writes it), WGBS replicates as rows of one
sample, pooled fold-change bigWigs as marks, other assemblies and archived files not read; the
sheet passes the workflow's own checks."""

from __future__ import annotations

import pandas as pd
import pytest

from epibench import config as cohort_config
from epibench.cli import main
from epibench.errors import InputError
from epibench.io.encode_sheet import read_metadata, sheet_rows, write_encode_sheet

# the portal's metadata.tsv header (File accession ... Audit ERROR), as its batch download writes it
HEADER = (
    "File accession\tFile format\tFile type\tFile format type\tOutput type\tFile assembly\tExperiment accession\t"
    "Assay\tDonor(s)\tBiosample term id\tBiosample term name\tBiosample type\tBiosample organism\t"
    "Biosample treatments\tBiosample treatments amount\tBiosample treatments duration\t"
    "Biosample genetic modifications methods\tBiosample genetic modifications categories\t"
    "Biosample genetic modifications targets\tBiosample genetic modifications gene targets\t"
    "Biosample genetic modifications site coordinates\tBiosample genetic modifications zygosity\t"
    "Experiment target\tLibrary made from\tLibrary depleted in\tLibrary extraction method\tLibrary lysis method\t"
    "Library crosslinking method\tLibrary strand specific\tExperiment date released\tProject\t"
    "RBNS protein concentration\tLibrary fragmentation method\tLibrary size range\tBiological replicate(s)\t"
    "Technical replicate(s)\tRead length\tMapped read length\tRun type\tPaired end\tPaired with\tIndex of\t"
    "Derived from\tSize\tLab\tmd5sum\tdbxrefs\tFile download URL\tGenome annotation\tPlatform\tControlled by\t"
    "File Status\ts3_uri\tAzure URL\tFile analysis title\tFile analysis status\tAudit WARNING\t"
    "Audit NOT_COMPLIANT\tAudit ERROR"
).split("\t")
LUNG, HEART = "upper lobe of left lung", "heart left ventricle"
# accession, format, output type, assembly, assay, biosample, target, replicates, status
FILES = [
    ("ENCFF000WG1", "bed", "methylation state at CpG", "GRCh38", "WGBS", LUNG, "", "1", "released"),
    ("ENCFF000WG2", "bigBed", "methylation state at CpG", "GRCh38", "WGBS", LUNG, "", "1", "released"),
    ("ENCFF000WG3", "bed", "methylation state at CpG", "GRCh38", "WGBS", LUNG, "", "2", "released"),
    ("ENCFF000WG4", "bed", "methylation state at CpG", "hg19", "WGBS", LUNG, "", "1", "released"),
    ("ENCFF000WG5", "bed", "methylation state at CpG", "GRCh38", "WGBS", HEART, "", "1", "released"),
    ("ENCFF000WG6", "bed", "methylation state at CHG", "GRCh38", "WGBS", HEART, "", "1", "released"),
    ("ENCFF000CH0", "bigWig", "fold change over control", "GRCh38", "Histone ChIP-seq", LUNG, "H3K4me3-human",
     "1, 2, 3", "archived"),
    ("ENCFF000CH1", "bigWig", "fold change over control", "GRCh38", "Histone ChIP-seq", LUNG, "H3K4me3-human",
     "1, 2", "released"),
    ("ENCFF000CH2", "bigWig", "fold change over control", "GRCh38", "Histone ChIP-seq", LUNG, "H3K4me3-human",
     "1", "released"),
    ("ENCFF000CH3", "bigWig", "fold change over control", "GRCh38", "Histone ChIP-seq", HEART, "H3K4me3-human",
     "1", "released"),
    ("ENCFF000CH4", "bigWig", "fold change over control", "GRCh38", "Histone ChIP-seq", LUNG, "H3K27ac-human",
     "1, 2", "released"),
    ("ENCFF000CH5", "bigWig", "signal p-value", "GRCh38", "Histone ChIP-seq", HEART, "H3K27ac-human",
     "1, 2", "released"),
    ("ENCFF000PK1", "bed", "pseudoreplicated peaks", "GRCh38", "Histone ChIP-seq", HEART, "H3K27ac-human",
     "1, 2", "released"),
]  # fmt: skip
EXTENSION = {"bed": "bed.gz", "bigBed": "bigBed", "bigWig": "bigWig"}


def metadata(tmp_path, files=FILES):
    """metadata.tsv of ``files`` (every other column empty; a donor accession after a file's status
    fills its Donor(s)) and a download folder holding them all."""
    rows = []
    for accession, fmt, output, assembly, assay, biosample, target, replicates, status, *donor in files:
        row = dict.fromkeys(HEADER, "")
        url = f"https://www.encodeproject.org/files/{accession}/@@download/{accession}.{EXTENSION[fmt]}"
        row.update(
            {
                "File accession": accession,
                "File format": fmt,
                "Output type": output,
                "File assembly": assembly,
                "Assay": assay,
                "Biosample term name": biosample,
                "Experiment target": target,
                "Biological replicate(s)": replicates,
                "File Status": status,
                "File download URL": url,
                "Donor(s)": "".join(f"/human-donors/{d}/" for d in donor),
            }
        )
        rows.append(row)
    path = tmp_path / "metadata.tsv"
    pd.DataFrame(rows, columns=HEADER).to_csv(path, sep="\t", index=False)
    downloads = tmp_path / "downloads"
    downloads.mkdir(exist_ok=True)
    for accession, fmt, *_ in files:
        (downloads / f"{accession}.{EXTENSION[fmt]}").write_text("x\n")
    return path, downloads


def test_the_sheet_has_a_row_per_replicate_and_the_pooled_bigwig_of_each_mark(tmp_path):
    meta, downloads = metadata(tmp_path)
    out = tmp_path / "samples.tsv"
    assert main(["encode-sheet", "--metadata", str(meta), "--files", str(downloads), "--out", str(out)]) == 0
    sheet = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    assert list(sheet.columns) == ["sample", "methylation", "H3K27ac", "H3K4me3"]
    name = {
        p: p.split("/")[-1].split(".")[0] for p in sheet.to_numpy().ravel() if p.startswith(str(downloads))
    }
    rows = [tuple(name.get(cell, cell) for cell in row) for row in sheet.itertuples(index=False)]
    assert rows == [
        ("heart_left_ventricle", "ENCFF000WG5", "", "ENCFF000CH3"),
        ("upper_lobe_of_left_lung", "ENCFF000WG1", "ENCFF000CH4", "ENCFF000CH1"),
        ("upper_lobe_of_left_lung", "ENCFF000WG3", "ENCFF000CH4", "ENCFF000CH1"),
    ]
    # the workflow reads it as a cohort: lung of two files, heart without H3K27ac
    for name in ("genome.fa", "genes.gtf"):
        (tmp_path / name).write_text("x\n")
    config = {
        "cohort": "encode",
        "samples": str(out),
        "reference": {"fasta": str(tmp_path / "genome.fa"), "gtf": str(tmp_path / "genes.gtf")},
        "marks": ["H3K4me3", "H3K27ac"],
        "models": {"cnn": {"arch": "cnn"}, "hybrid": {"arch": "hybrid"}},
    }
    samples = cohort_config.validate(config)
    assert len(samples.loc["upper_lobe_of_left_lung", "methylation"]) == 2
    assert samples.loc["heart_left_ventricle", "H3K27ac"] == ""


def test_a_biosample_of_several_donors_is_a_sample_per_donor_with_its_own_donors_marks(tmp_path, caplog):
    """ENTEx-like: lung WGBS of two donors; H3K4me3 of both (donor B's pooling more replicates),
    H3K27ac of donor B only, which donor A's sample borrows, saying so."""
    donor_a, donor_b = "ENCDO451RUA", "ENCDO793LXB"
    wgbs = ("bed", "methylation state at CpG", "GRCh38", "WGBS", LUNG, "")
    chip = ("bigWig", "fold change over control", "GRCh38", "Histone ChIP-seq", LUNG)
    files = [
        ("ENCFF000WA1", *wgbs, "1", "released", donor_a),
        ("ENCFF000WB1", *wgbs, "1", "released", donor_b),
        ("ENCFF000WB2", *wgbs, "2", "released", donor_b),
        ("ENCFF000KA1", *chip, "H3K4me3-human", "1", "released", donor_a),
        ("ENCFF000KB1", *chip, "H3K4me3-human", "1, 2", "released", donor_b),
        ("ENCFF000AB1", *chip, "H3K27ac-human", "1", "released", donor_b),
        ("ENCFF000WH1", "bed", "methylation state at CpG", "GRCh38", "WGBS", HEART, "", "1", "released", donor_a),
    ]  # fmt: skip
    meta, downloads = metadata(tmp_path, files)
    out = tmp_path / "samples.tsv"
    with caplog.at_level("WARNING", logger="epibench"):
        assert (
            main(["encode-sheet", "--metadata", str(meta), "--files", str(downloads), "--out", str(out)]) == 0
        )
    sheet = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    rows = [tuple(cell.split("/")[-1].split(".")[0] for cell in row) for row in sheet.itertuples(index=False)]
    assert rows == [
        ("heart_left_ventricle", "ENCFF000WH1", "", ""),
        (f"upper_lobe_of_left_lung_{donor_a}", "ENCFF000WA1", "ENCFF000AB1", "ENCFF000KA1"),
        (f"upper_lobe_of_left_lung_{donor_b}", "ENCFF000WB1", "ENCFF000AB1", "ENCFF000KB1"),
        (f"upper_lobe_of_left_lung_{donor_b}", "ENCFF000WB2", "ENCFF000AB1", "ENCFF000KB1"),
    ]
    borrowed = [r.getMessage() for r in caplog.records if "from donor" in r.getMessage()]
    assert borrowed == [
        f"upper_lobe_of_left_lung_{donor_a}: H3K27ac from donor {donor_b} of the same biosample (none of its own donor's)"
    ]


def test_marks_asked_for_are_kept_in_order_and_an_absent_one_is_named(tmp_path):
    meta, downloads = metadata(tmp_path)
    out = tmp_path / "samples.tsv"
    main(
        [
            "encode-sheet",
            "--metadata",
            str(meta),
            "--files",
            str(downloads),
            "--out",
            str(out),
            "--marks",
            "H3K4me3",
        ]
    )
    assert list(pd.read_csv(out, sep="\t").columns) == ["sample", "methylation", "H3K4me3"]
    with pytest.raises(InputError, match=r"marks \['H3K36me3'\].*its marks: H3K27ac, H3K4me3"):
        write_encode_sheet(meta, downloads, out, marks=["H3K36me3"])
    with pytest.raises(InputError, match="no file of assembly 'mm10'.*GRCh38, hg19"):
        write_encode_sheet(meta, downloads, out, assembly="mm10")


def test_files_not_downloaded_are_named_with_their_urls_written_to_fetch(tmp_path):
    meta, downloads = metadata(tmp_path)
    (downloads / "ENCFF000WG3.bed.gz").unlink()
    (downloads / "ENCFF000CH3.bigWig").unlink()
    out = tmp_path / "samples.tsv"
    with pytest.raises(InputError, match="2 of the sheet's files are not in"):
        write_encode_sheet(meta, downloads, out)
    assert not out.exists()
    urls = (tmp_path / "samples.tsv.missing_urls.txt").read_text().split()
    assert sorted(u.rsplit("/", 1)[-1] for u in urls) == ["ENCFF000CH3.bigWig", "ENCFF000WG3.bed.gz"]


def test_a_misspelt_download_folder_is_named_with_the_folder_meant(tmp_path):
    """A typo in --files once ended in Python's traceback (FileNotFoundError from listing it)."""
    meta, downloads = metadata(tmp_path)
    out = tmp_path / "samples.tsv"
    with pytest.raises(InputError, match=r"does not exist \(its folder has 'downloads': meant that\?\)"):
        write_encode_sheet(meta, tmp_path / "downloadss", out)
    assert not out.exists()


def test_the_assembly_asked_by_another_name_of_its_build_is_the_portals(tmp_path):
    """The portal writes GRCh38 but mm10 and hg19: a user asking hg38 (or GRCm38, GRCh37) means those."""
    meta, downloads = metadata(tmp_path)
    default, _ = write_encode_sheet(meta, downloads, tmp_path / "default.tsv")
    as_ucsc, _ = write_encode_sheet(meta, downloads, tmp_path / "hg38.tsv", assembly="hg38")
    pd.testing.assert_frame_equal(as_ucsc, default)
    rows = sheet_rows(read_metadata(meta), "GRCh37").table  # the portal's hg19 file
    assert list(rows["accession"]) == ["ENCFF000WG4"]
    with pytest.raises(InputError, match="no file of assembly 'GRCm38' in the metadata"):
        write_encode_sheet(meta, downloads, tmp_path / "mm10.tsv", assembly="GRCm38")


def test_a_table_of_other_columns_is_named_as_no_metadata(tmp_path):
    path = tmp_path / "files.tsv"
    path.write_text("sample\tmethylation\na\ta.bed\n")
    with pytest.raises(InputError, match="not the ENCODE portal's metadata.tsv: no column File accession"):
        read_metadata(path)


def test_wgbs_of_two_experiments_of_one_biosample_is_warned_of_as_pooled(tmp_path, caplog):
    """Mouse ENCODE's embryonic series: liver WGBS at two stages, two experiments of one biosample and
    donor; the metadata names no age, so the sheet pools them, and says so."""
    wgbs = ("bed", "methylation state at CpG", "mm10", "WGBS", "liver", "")
    files = [("ENCFF000LV1", *wgbs, "1", "released"), ("ENCFF000LV2", *wgbs, "1", "released")]
    meta, downloads = metadata(tmp_path, files)
    table = pd.read_csv(meta, sep="\t", dtype=str, keep_default_na=False)
    table["Experiment accession"] = ["ENCSR000E11", "ENCSR000P00"]
    table.to_csv(meta, sep="\t", index=False)
    with caplog.at_level("WARNING", logger="epibench"):
        sheet, _ = write_encode_sheet(meta, downloads, tmp_path / "samples.tsv", assembly="mm10")
    assert list(sheet["sample"]) == ["liver", "liver"]
    pooled = [r.getMessage() for r in caplog.records if "pooled as replicates" in r.getMessage()]
    assert len(pooled) == 1 and "2 experiments (ENCSR000E11, ENCSR000P00)" in pooled[0]
    caplog.clear()
    table["Experiment accession"] = ["ENCSR000E11", "ENCSR000E11"]  # replicates of one experiment
    table.to_csv(meta, sep="\t", index=False)
    with caplog.at_level("WARNING", logger="epibench"):
        write_encode_sheet(meta, downloads, tmp_path / "samples.tsv", assembly="mm10")
    assert not [r for r in caplog.records if "pooled as replicates" in r.getMessage()]


def test_a_biosample_with_marks_but_no_wgbs_is_named_as_left_out(tmp_path, caplog):
    chip = ("bigWig", "fold change over control", "mm10", "Histone ChIP-seq")
    files = [
        ("ENCFF000LV1", "bed", "methylation state at CpG", "mm10", "WGBS", "liver", "", "1", "released"),
        ("ENCFF000LK4", *chip, "liver", "H3K4me3-mouse", "1, 2", "released"),
        ("ENCFF000MK4", *chip, "midbrain", "H3K4me3-mouse", "1, 2", "released"),
    ]  # fmt: skip
    meta, downloads = metadata(tmp_path, files)
    with caplog.at_level("WARNING", logger="epibench"):
        sheet, _ = write_encode_sheet(meta, downloads, tmp_path / "samples.tsv", assembly="mm10")
    assert list(sheet["sample"]) == ["liver"]
    left_out = [r.getMessage() for r in caplog.records if "left out of the sheet" in r.getMessage()]
    assert len(left_out) == 1 and left_out[0].split("left out of the sheet: ")[1].startswith("midbrain;")
