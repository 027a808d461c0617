"""resources/real/imr90_hg38_chr22/density_probe.py cuts chr22 into the blocks the cohort's config
holds out (README "Accuracy on real data"), so its figures are the pipeline's test blocks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from epibench.data.splits import SplitSettings, plan_splits

REPO = Path(__file__).resolve().parents[1]
PROBE = REPO / "resources" / "real" / "imr90_hg38_chr22" / "density_probe.py"
CONFIG = REPO / "config" / "real_imr90.yaml"


def _probe():
    spec = importlib.util.spec_from_file_location("density_probe", PROBE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_density_probe_holds_out_the_blocks_of_the_cohort_config():
    config = yaml.safe_load(CONFIG.read_text())
    sizes = {"chr22": 50_818_468}
    pipeline, _ = plan_splits(sizes, SplitSettings(**config["split"]))
    probe, _ = plan_splits(sizes, _probe().split_settings())
    assert probe.equals(pipeline)
    assert _probe().min_coverage() == config["ingest"]["min_coverage"]
