"""Browser export: bigWigs of predictions, errors and attributions, and the WashU datahub."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from epibench.errors import InputError
from epibench.report.datahub import IMPUTED, VARIANT_DELTA, exported_tracks, write_hub
from epibench.report.serve import make_server
from epibench.report.track_export import (
    export_tracks,
    write_attribution_track,
    write_observed_tracks,
    write_prediction_tracks,
)

CHROM_SIZES = {"chr1": 1000, "chr2": 600, "chrX": 400}
WINDOW = 10


@pytest.fixture
def chrom_sizes(tmp_path) -> Path:
    path = tmp_path / "chrom_sizes.tsv"
    pd.DataFrame(
        {"chrom": list(CHROM_SIZES), "length": list(CHROM_SIZES.values()), "n_cpg": [5, 3, 0]}
    ).to_csv(path, sep="\t", index=False)
    return path


def _predictions(rng: np.random.Generator) -> pd.DataFrame:
    """Two samples, CpGs on chr1 and chr2 (not chrX), rows deliberately out of position order."""
    pos = {"chr1": [500, 10, 998, 200, 202], "chr2": [300, 0, 598]}
    frames = []
    for sample in ("S1", "S.2"):
        chrom = np.repeat(list(pos), [len(v) for v in pos.values()])
        positions = np.concatenate(list(pos.values()))
        n = len(positions)
        level_true = rng.uniform(size=n)
        frames.append(
            pd.DataFrame(
                {
                    "model": "cnn",
                    "sample": sample,
                    "chrom": chrom[::-1],
                    "pos": positions[::-1].astype(np.int64),
                    "region": "intergenic",
                    "level_true": level_true,
                    "label_true": (level_true > 0.5).astype(np.int8),
                    "level_pred": rng.uniform(size=n),
                    "prob_pred": rng.uniform(size=n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def predictions(tmp_path) -> tuple[Path, pd.DataFrame]:
    table = _predictions(np.random.default_rng(0))
    path = tmp_path / "cnn.parquet"
    table.to_parquet(path, index=False)
    return path, table


def _open(path: Path):
    bw = pyBigWig.open(str(path))
    assert bw is not None and bw.isBigWig()
    return bw


def test_prediction_tracks_hold_level_and_error_at_each_cpg(tmp_path, chrom_sizes, predictions):
    path, table = predictions
    out = write_prediction_tracks(path, chrom_sizes, tmp_path / "tracks")
    names = [p.name for p in out]
    assert names == [
        "cnn.S1.predicted.bw",
        "cnn.S1.error.bw",
        "cnn.S.2.predicted.bw",
        "cnn.S.2.error.bw",
    ]
    assert not list((tmp_path / "tracks").glob(".*tmp-*"))
    for sample, rows in table.groupby("sample"):
        expected = {
            "predicted": rows["level_pred"].to_numpy(),
            "error": rows["level_pred"].to_numpy() - rows["level_true"].to_numpy(),
        }
        for kind, values in expected.items():
            bw = _open(tmp_path / "tracks" / f"cnn.{sample}.{kind}.bw")
            assert bw.chroms() == CHROM_SIZES
            for chrom in rows["chrom"].unique():
                assert bw.intervals(chrom), f"{sample} {kind}: no data on {chrom}"
            assert bw.intervals("chrX") is None or len(bw.intervals("chrX")) == 0
            got_c = [bw.values(c, p, p + 1)[0] for c, p in zip(rows["chrom"], rows["pos"])]
            got_g = [bw.values(c, p + 1, p + 2)[0] for c, p in zip(rows["chrom"], rows["pos"])]
            np.testing.assert_allclose(got_c, values, atol=1e-6)
            np.testing.assert_allclose(got_g, values, atol=1e-6)
            n_covered = sum(len(bw.intervals(c)) for c in rows["chrom"].unique())
            assert n_covered == len(rows)  # one 2-bp entry per CpG, nothing else
            bw.close()


def test_observed_tracks_hold_each_samples_measured_levels_once_whatever_the_models(
    tmp_path, chrom_sizes, predictions
):
    """A WashU user reads the predictions against the measured levels: one track per sample, the
    test CpGs' level_true, written once though two models' rows carry them."""
    path, table = predictions
    both = pd.concat([table, table.assign(model="hybrid", level_pred=0.5)])
    both.to_parquet(path, index=False)
    out = write_observed_tracks(path, chrom_sizes, tmp_path / "tracks")
    assert [p.name for p in out] == ["test.S1.observed.bw", "test.S.2.observed.bw"]
    for sample, rows in table.groupby("sample"):
        bw = _open(tmp_path / "tracks" / f"test.{sample}.observed.bw")
        got = [bw.values(c, p, p + 2) for c, p in zip(rows["chrom"], rows["pos"])]
        np.testing.assert_allclose(
            got, np.repeat(rows["level_true"].to_numpy()[:, None], 2, axis=1), atol=1e-6
        )
        assert sum(len(bw.intervals(c)) for c in rows["chrom"].unique()) == len(rows)
        bw.close()


def test_prediction_tracks_reject_bad_tables(tmp_path, chrom_sizes, predictions):
    _, table = predictions
    empty = tmp_path / "empty.parquet"
    table.iloc[:0].to_parquet(empty, index=False)
    with pytest.raises(InputError, match="empty.parquet.*no predictions"):
        write_prediction_tracks(empty, chrom_sizes, tmp_path / "tracks")
    for name, bad, message in (
        (
            "unknown",
            table.assign(chrom=table["chrom"].replace("chr2", "chr9")),
            r"\['chr9'\] not in the reference",
        ),
        ("outside", table.assign(pos=table["pos"].replace(998, 999)), "chr1:999 lies outside"),
        ("twice", pd.concat([table, table.iloc[:1]]), "appears twice"),
    ):
        bad_path = tmp_path / f"{name}.parquet"
        bad.to_parquet(bad_path, index=False)
        with pytest.raises(InputError, match=f"{name}.parquet.*{message}"):
            write_prediction_tracks(bad_path, chrom_sizes, tmp_path / "tracks")


def _attributions(path: Path, seq_attr: np.ndarray, sample, chrom, pos) -> Path:
    np.savez_compressed(
        path,
        seq_attr=seq_attr.astype(np.float32),
        sample=np.asarray(sample, dtype=str),
        chrom=np.asarray(chrom, dtype=str),
        pos=np.asarray(pos, dtype=np.int64),
        window=np.int64(seq_attr.shape[1]),
    )
    return path


def test_attribution_track_averages_overlapping_windows(tmp_path, chrom_sizes):
    # windows of W=10 start at pos - 4: CpG 100 -> [96, 106), CpG 104 -> [100, 110)
    seq_attr = np.stack([np.full(WINDOW, 1.0), np.full(WINDOW, 3.0), np.arange(WINDOW, dtype=float)])
    npz = _attributions(
        tmp_path / "attributions.npz", seq_attr, ["S1", "S1", "S2"], ["chr1", "chr1", "chr2"], [100, 104, 2]
    )
    out = write_attribution_track(npz, chrom_sizes, tmp_path / "tracks", "hybrid")
    assert [p.name for p in out] == ["hybrid.S1.attribution.bw", "hybrid.S2.attribution.bw"]
    bw = _open(out[0])
    assert bw.chroms() == CHROM_SIZES
    values = np.asarray(bw.values("chr1", 96, 110))
    np.testing.assert_allclose(values[:4], 1.0)  # first window only
    np.testing.assert_allclose(values[4:10], 2.0)  # overlap: mean of 1 and 3
    np.testing.assert_allclose(values[10:], 3.0)  # second window only
    assert np.isnan(bw.values("chr1", 95, 96)[0]) and np.isnan(bw.values("chr1", 110, 111)[0])
    bw.close()
    # CpG at 2 on chr2: window [-2, 8), the two bases before the sequence start dropped
    bw = _open(out[1])
    assert bw.intervals("chr2")[0][0] == 0
    np.testing.assert_allclose(bw.values("chr2", 0, 8), np.arange(2, WINDOW))
    bw.close()


def test_attribution_track_sums_per_letter_axis_and_rejects_bad_files(tmp_path, chrom_sizes):
    per_letter = np.zeros((1, WINDOW, 5))
    per_letter[0, :, 2] = 0.5
    per_letter[0, :, 4] = 0.25
    npz = _attributions(tmp_path / "a.npz", per_letter, ["S1"], ["chrX"], [200])
    (out,) = write_attribution_track(npz, chrom_sizes, tmp_path / "tracks", "cnn")
    bw = _open(out)
    np.testing.assert_allclose(bw.values("chrX", 196, 206), 0.75)
    bw.close()
    empty = _attributions(tmp_path / "empty.npz", np.zeros((0, WINDOW)), [], [], [])
    with pytest.raises(InputError, match="empty.npz.*no attributed CpG"):
        write_attribution_track(empty, chrom_sizes, tmp_path / "tracks", "cnn")
    outside = _attributions(tmp_path / "outside.npz", np.zeros((1, WINDOW)), ["S1"], ["chrX"], [399])
    with pytest.raises(InputError, match="outside.npz.*chrX:399 lies outside"):
        write_attribution_track(outside, chrom_sizes, tmp_path / "tracks", "cnn")
    partial_npz = tmp_path / "partial.npz"
    np.savez(partial_npz, seq_attr=np.zeros((1, WINDOW)))
    with pytest.raises(InputError, match="partial.npz.*lacks"):
        write_attribution_track(partial_npz, chrom_sizes, tmp_path / "tracks", "cnn")


def _histone(path: Path) -> Path:
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(CHROM_SIZES.items()))
    bw.addEntries("chr1", np.array([0], dtype=np.int64), values=np.array([1.0]), span=100)
    bw.close()
    return path


def test_hub_lists_tracks_and_inputs_with_resolvable_urls(tmp_path, chrom_sizes, predictions):
    path, _ = predictions
    marks_dir = tmp_path / "sheet"
    marks_dir.mkdir()
    inputs = {
        s: {m: _histone(marks_dir / f"{s}_{m}.bigWig") for m in ("H3K4me3", "H3K27ac")} for s in ("S1", "S.2")
    }
    npz = _attributions(tmp_path / "attr.npz", np.ones((1, WINDOW)), ["S.2"], ["chr2"], [50])
    out_dir = tmp_path / "tracks"
    hub_path = export_tracks([path], chrom_sizes, out_dir, inputs, npz, "cnn")
    hub = json.loads(hub_path.read_text())
    assert isinstance(hub, list) and {t["type"] for t in hub} == {"bigwig"}
    assert all(t["showOnHubLoad"] is True and t["name"] and t["options"]["height"] > 0 for t in hub)
    exported = sorted(p.name for p in out_dir.glob("*.bw"))
    assert len(exported) == 7  # 2 samples' observed, predicted, error; 1 attribution
    urls = [t["url"] for t in hub]
    assert sorted(u for u in urls if not u.startswith("inputs/")) == exported
    for url in urls:
        assert not url.startswith("/") and (out_dir / url).is_file()
        _open(out_dir / url).close()
    for sample, marks in inputs.items():
        for mark, source in marks.items():
            link = out_dir / "inputs" / f"{sample}.{mark}.bw"
            assert link.is_symlink() and link.resolve() == source.resolve()
            assert f"inputs/{sample}.{mark}.bw" in urls
    # each sample's histone tracks, then its measured levels, then the models' tracks
    assert [t["name"] for t in hub] == [
        "S1.H3K4me3",
        "S1.H3K27ac",
        "test.S1.observed",
        "cnn.S1.predicted",
        "cnn.S1.error",
        "S.2.H3K4me3",
        "S.2.H3K27ac",
        "test.S.2.observed",
        "cnn.S.2.predicted",
        "cnn.S.2.error",
        "cnn.S.2.attribution",
    ]
    assert hub[4]["metadata"] == {"sample": "S1", "assay": "error"}
    assert hub[4]["options"]["yMin"] == -1 and "color2" in hub[4]["options"]
    assert hub[2]["metadata"] == {"sample": "S1", "assay": "observed"} and hub[2]["options"]["yMax"] == 1
    # an absolute base URL prefixes every path; running again replaces the links in place
    hub = json.loads(
        write_hub(out_dir, exported_tracks(out_dir.glob("*.bw")), inputs, "http://h:8000/x/").read_text()
    )
    assert all(t["url"].startswith("http://h:8000/x/") for t in hub)
    assert {t["url"].removeprefix("http://h:8000/x/") for t in hub} == set(urls)


def test_a_sample_removed_from_the_cohort_leaves_the_hubs_folder(tmp_path, chrom_sizes, predictions):
    """Exported again without S1 (a sample withdrawn): its prediction, error and input tracks are
    gone from the folder that is served, not only from hub.json."""
    path, table = predictions
    marks_dir = tmp_path / "sheet"
    marks_dir.mkdir()
    inputs = {s: {"H3K4me3": _histone(marks_dir / f"{s}.bigWig")} for s in ("S1", "S.2")}
    out_dir = tmp_path / "tracks"
    export_tracks([path], chrom_sizes, out_dir, inputs)
    assert {p.name for p in out_dir.rglob("*.bw")} >= {"cnn.S1.predicted.bw", "S1.H3K4me3.bw"}
    table[table["sample"] != "S1"].to_parquet(path, index=False)
    export_tracks([path], chrom_sizes, out_dir, {"S.2": inputs["S.2"]})
    left = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.bw"))
    assert left == [
        "cnn.S.2.error.bw",
        "cnn.S.2.predicted.bw",
        "inputs/S.2.H3K4me3.bw",
        "test.S.2.observed.bw",
    ]


def test_an_input_bigwig_on_other_names_is_shown_as_a_copy_on_the_reference_s(
    tmp_path, chrom_sizes, predictions
):
    """A mark bigWig naming its sequences 1 and 2 (Ensembl) beside a chr1/chr2 reference: the hub
    links a copy on the reference's names, whose values are the original's; one already on them is
    linked as it is."""
    path, _ = predictions
    ensembl = tmp_path / "ensembl.bigWig"
    bw = pyBigWig.open(str(ensembl), "w")
    bw.addHeader([("1", 1000), ("scaffold_2", 600)])  # the second known by the alias table alone
    bw.addEntries(["1", "1", "scaffold_2"], [0, 100, 50], ends=[100, 250, 60], values=[1.5, 2.5, 7.0])
    bw.close()
    ucsc = _histone(tmp_path / "ucsc.bigWig")
    out_dir = tmp_path / "tracks"
    inputs = {"S1": {"H3K4me3": ensembl, "H3K27ac": ucsc}}
    hub = json.loads(
        export_tracks([path], chrom_sizes, out_dir, inputs, aliases={"scaffold_2": "chr2"}).read_text()
    )
    urls = {t["name"]: t["url"] for t in hub}
    copy = out_dir / urls["S1.H3K4me3"]
    assert not copy.is_symlink() and (out_dir / urls["S1.H3K27ac"]).resolve() == ucsc.resolve()
    with pyBigWig.open(str(copy)) as shown, pyBigWig.open(str(ensembl)) as original:
        assert shown.chroms() == CHROM_SIZES
        for theirs, ours in (("1", "chr1"), ("scaffold_2", "chr2")):
            assert shown.intervals(ours) == original.intervals(theirs)


def test_hub_rejects_missing_input_and_foreign_track(tmp_path):
    out_dir = tmp_path / "tracks"
    with pytest.raises(InputError, match="sample S1, H3K4me3 not found"):
        write_hub(out_dir, [], {"S1": {"H3K4me3": tmp_path / "absent.bw"}})
    outside = _histone(tmp_path / "elsewhere.bw")
    with pytest.raises(InputError, match="not inside the hub folder"):
        write_hub(out_dir, [("x", outside, "predicted")], {})


def test_hub_shows_a_predicted_samples_levels_after_its_marks(tmp_path):
    """A sample without calls (imputed): its levels' bigWig is linked beside its marks, drawn on
    the 0-1 scale of levels."""
    marks = {"P": {"H3K4me3": _histone(tmp_path / "P_H3K4me3.bw")}}
    levels = _histone(tmp_path / "P.imputed_levels.bw")
    out_dir = tmp_path / "tracks"
    hub = json.loads(write_hub(out_dir, [], marks, linked={IMPUTED: {"P": levels}}).read_text())
    assert [t["name"] for t in hub] == ["P.H3K4me3", "P.imputed"]
    link = out_dir / hub[1]["url"]
    assert link.is_symlink() and link.resolve() == levels.resolve()
    assert hub[1]["metadata"] == {"sample": "P", "assay": "imputed"}
    assert (hub[1]["options"]["yMin"], hub[1]["options"]["yMax"]) == (0, 1)


def test_the_linked_results_stay_in_the_hubs_folder_after_an_export(tmp_path, chrom_sizes, predictions):
    """export_tracks clears inputs/ of what the cohort no longer has: it removed the imputed sample's
    link it had just made (a trial's hub listed inputs/lv05.imputed.bw, gone). A sample's variant
    deltas are linked too, on a scale of both signs; a linked result of no sample now is removed."""
    path, _ = predictions
    marks = {"S1": {"H3K4me3": _histone(tmp_path / "S1_H3K4me3.bw")}}
    levels, deltas = _histone(tmp_path / "P.levels.bw"), _histone(tmp_path / "S1.delta.bw")
    out_dir = tmp_path / "tracks"
    linked = {IMPUTED: {"P": levels}, VARIANT_DELTA: {"S1": deltas}}
    hub = json.loads(export_tracks([path], chrom_sizes, out_dir, marks, linked=linked).read_text())
    urls = {t["name"]: t["url"] for t in hub}
    assert (
        urls["P.imputed"] == "inputs/P.imputed.bw"
        and urls["S1.variant_delta"] == "inputs/S1.variant_delta.bw"
    )
    for name in ("P.imputed", "S1.variant_delta"):
        assert (out_dir / urls[name]).is_symlink() and (out_dir / urls[name]).exists(), name
    delta = next(t for t in hub if t["name"] == "S1.variant_delta")
    assert delta["metadata"] == {"sample": "S1", "assay": "variant_delta"} and "color2" in delta["options"]
    export_tracks([path], chrom_sizes, out_dir, marks, linked={IMPUTED: {"P": levels}})
    assert not (out_dir / "inputs" / "S1.variant_delta.bw").exists()
    assert (out_dir / "inputs" / "P.imputed.bw").exists()


def test_server_answers_byte_ranges_with_cors(tmp_path):
    (tmp_path / "f.bw").write_bytes(bytes(range(100)))
    server = make_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/f.bw"
    try:
        for header, status, body in (
            ("bytes=10-19", 206, bytes(range(10, 20))),
            ("bytes=95-", 206, bytes(range(95, 100))),
            ("bytes=-3", 206, bytes(range(97, 100))),
            (None, 200, bytes(range(100))),
        ):
            request = urllib.request.Request(base, headers={"Range": header} if header else {})
            with urllib.request.urlopen(request) as response:
                assert response.status == status
                assert response.headers["Access-Control-Allow-Origin"] == "*"
                assert response.read() == body
        preflight = urllib.request.Request(base, method="OPTIONS")
        with urllib.request.urlopen(preflight) as response:
            assert response.status == 204 and "Range" in response.headers["Access-Control-Allow-Headers"]
        with pytest.raises(urllib.error.HTTPError, match="416"):
            urllib.request.urlopen(urllib.request.Request(base, headers={"Range": "bytes=200-"}))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("names", "warned"),
    [
        (["1", "2", "MT"], True),
        (["NC_007112.7", "NW_018394171.1", "NC_002333.2"], True),
        (["chr1", "chr2", "chrM"], False),
        (["scaffold_1", "scaffold_2"], False),
    ],
)
def test_tracks_on_ensembl_names_are_warned_of_as_invisible_in_a_chr_named_browser(
    tmp_path, caplog, names, warned
):
    """A reference named 1, 2, MT (Ensembl) or by NCBI accessions: its tracks carry those names, which
    the WashU browser's hg38 does not show; the export says so. chr names and scaffolds get no such
    warning."""
    sizes = tmp_path / "chrom_sizes.tsv"
    pd.DataFrame({"chrom": names, "length": [1000, 600, 400][: len(names)]}).to_csv(
        sizes, sep="\t", index=False
    )
    table = _predictions(np.random.default_rng(0)).replace({"chrom": {"chr1": names[0], "chr2": names[1]}})
    path = tmp_path / "cnn.parquet"
    table.to_parquet(path, index=False)
    with caplog.at_level("WARNING", logger="epibench"):
        export_tracks([path], sizes, tmp_path / "tracks", {})
    said = [r.getMessage() for r in caplog.records if "shows no track on them" in r.getMessage()]
    assert len(said) == int(warned), caplog.text
    if warned:
        assert f"({', '.join(names)})" in said[0] and "names them chr1, chr2" in said[0]
    with pyBigWig.open(str(tmp_path / "tracks" / "cnn.S1.predicted.bw")) as bw:
        assert list(bw.chroms()) == names
