"""The cohort summary page: figures copied beside it, tables inlined, sections present."""

from __future__ import annotations

import json

import pandas as pd
from matplotlib.figure import Figure

from epibench.report.summary import Item, render


def test_render_copies_figures_and_inlines_tables(tmp_path):
    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    (tmp_path / "evaluation").mkdir()
    png = tmp_path / "evaluation" / "roc.png"
    fig.savefig(png)
    table = tmp_path / "metrics.tsv"
    pd.DataFrame({"metric": ["auroc", "mse"], "value": [0.9, 0.05]}).to_csv(table, sep="\t", index=False)
    qc = tmp_path / "s1.ingest.json"
    qc.write_text(json.dumps({"n_kept": 1234, "cg_share": 0.999}))
    out = render(
        "My <cohort>",
        {"QC": [Item(qc, "qc of s1")], "Evaluation": [Item(png, "roc curves"), Item(table, "all metrics")]},
        tmp_path / "report" / "index.html",
        max_rows=1,
    )
    html = out.read_text()
    assert "My &lt;cohort&gt;" in html
    assert (tmp_path / "report" / "evaluation_roc.png").read_bytes() == png.read_bytes()
    assert "<img src='evaluation_roc.png'" in html
    assert "auroc" in html and "first 1 of 2 rows" in html
    assert "1234" in html
    assert html.index("id='QC'") < html.index("id='Evaluation'")
