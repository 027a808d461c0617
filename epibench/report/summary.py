"""The per-cohort HTML summary page: every table and figure of a run, linked and captioned.

Figures are copied beside ``index.html`` so the folder can be moved or served as it is.
"""

from __future__ import annotations

import html
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from epibench.io.atomic import atomic_path
from epibench.io.stale import remove_unlisted
from epibench.report.json_fields import FIELD_MEANINGS


@dataclass
class Item:
    """One figure (``.png``), table (``.tsv``/``.csv``), JSON record or other file (linked) with a
    caption saying how to read it."""

    path: Path
    caption: str
    sample: str = ""  # the sample it is of, for a per-sample file


@dataclass
class Note:
    """One line of text in a section: what is absent there, and why."""

    text: str


@dataclass
class Overview:
    """A table made for the page (every row shown), with its caption."""

    table: pd.DataFrame
    caption: str


@dataclass
class Fold:
    """Items shown under one line (``title``), folded away unless ``folded`` is False."""

    title: str
    items: list[Item]
    folded: bool = True


def _table_html(path: Path, max_rows: int) -> str:
    """A TSV/CSV as an HTML table, a missing value (an empty cell) as -: its first ``max_rows`` rows,
    or every row of a table with a row per sample (a ``sample`` column: a reader looks for theirs)."""
    sep = "," if path.suffix == ".csv" else "\t"
    table = pd.read_csv(path, sep=sep)
    return _frame_html(table, len(table) if "sample" in table.columns else max_rows, path.name)


def _frame_html(table: pd.DataFrame, max_rows: int, name: str = "") -> str:
    """The first ``max_rows`` rows of ``table`` as HTML, "-" for a missing value; ``name``: the file
    that holds every row, named where rows are left out."""
    if table.empty:
        return f"<p class='note'>no rows (columns: {html.escape(', '.join(map(str, table.columns)))})</p>"
    shown = table.head(max_rows)
    whole = f" (all of them: {html.escape(name)})" if name else ""
    note = (
        f"<p class='note'>first {max_rows} of {len(table)} rows{whole}</p>" if len(table) > max_rows else ""
    )
    table_html = shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, na_rep="-")
    return f"<div class='wide'>{table_html}</div>{note}"  # a table wider than the page scrolls alone


def _value_html(value: object) -> str:
    """A JSON value as a reader wants it: counts with thousands separators, 4 significant digits,
    lists and objects of plain values joined ("promoter: 32, enhancer: 32"), none for null or an empty
    list, other objects as nested tables folded under a line saying how many entries they hold (a
    key's meaning is its header's tooltip there)."""
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict) and not any(isinstance(v, (dict, list)) for v in value.values()):
        return ", ".join(f"{html.escape(str(k))}: {_value_html(v)}" for k, v in value.items())
    if isinstance(value, dict):
        entries = f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
        return _folded(entries, _record_html(value, meanings=False))
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        columns = list(dict.fromkeys(key for v in value for key in v))
        head = "".join(f"<th{_tooltip(k)}>{html.escape(k)}</th>" for k in columns)
        rows = "".join(
            "<tr>" + "".join(f"<td>{_value_html(v.get(k))}</td>" for k in columns) + "</tr>" for v in value
        )
        return _folded(f"{len(value)} rows", f"<table><tr>{head}</tr>{rows}</table>")
    if isinstance(value, list):
        return html.escape(", ".join(map(str, value)))
    return html.escape(str(value))


def _tooltip(key: object) -> str:
    meaning = FIELD_MEANINGS.get(str(key))
    return f" title='{html.escape(meaning)}'" if meaning else ""


def _folded(line: str, body: str) -> str:
    return f"<details><summary>{html.escape(line)}</summary>{body}</details>"


def _record_html(record: dict, meanings: bool = True) -> str:
    """A JSON object as a table of key and value, and what the key means (``FIELD_MEANINGS``) in a
    third column (``meanings``) or as the key's tooltip."""
    rows = "".join(
        f"<tr><th{_tooltip(k)}>{html.escape(str(k))}</th><td>{_value_html(v)}</td>"
        + (f"<td class='note'>{html.escape(FIELD_MEANINGS.get(str(k), ''))}</td>" if meanings else "")
        + "</tr>"
        for k, v in record.items()
    )
    return f"<table class='record'>{rows}</table>"


def _json_html(path: Path) -> str:
    return _record_html(json.loads(path.read_text()))


def _copied_name(figure: Path) -> str:
    """The name of a figure's copy beside the page: its folder's name and its own."""
    return f"{figure.parent.name}_{figure.name}"


def _figures(items: list) -> list[Path]:
    """The figures (PNG) of ``items``, those in folds included."""
    found = []
    for item in items:
        if isinstance(item, Fold):
            found += _figures(item.items)
        elif isinstance(item, Item) and Path(item.path).suffix == ".png":
            found.append(Path(item.path))
    return found


def _item_html(item: Item | Note | Overview | Fold, out_dir: Path, max_rows: int, lazy: bool = False) -> str:
    """One captioned figure (copied into ``out_dir`` under a unique name) or table, a note, an
    overview table or a fold of items. ``lazy``: a figure in a folded section, which the browser
    loads when it is opened (a cohort of hundreds folds a QC figure per sample: tens of MB)."""
    if isinstance(item, Note):
        return f"<p class='note'>{html.escape(item.text)}</p>"
    if isinstance(item, Overview):
        caption = f"<figcaption>{html.escape(item.caption)}</figcaption>"
        return f"<figure>{_frame_html(item.table, len(item.table))}{caption}</figure>"
    if isinstance(item, Fold):
        body = "".join(_item_html(inner, out_dir, max_rows, lazy or item.folded) for inner in item.items)
        if not item.folded:
            return f"<h3>{html.escape(item.title)}</h3>{body}"
        return _folded(item.title, body)
    source = Path(item.path)
    caption = f"<figcaption><b>{html.escape(source.name)}</b>: {html.escape(item.caption)}</figcaption>"
    if source.suffix == ".png":
        name = _copied_name(source)
        with atomic_path(out_dir / name) as tmp:
            shutil.copyfile(source, tmp)
        loading = " loading='lazy'" if lazy else ""
        body = f"<img src='{html.escape(name)}' alt='{html.escape(source.stem)}'{loading}>"
    elif source.suffix == ".json":
        body = _json_html(source)
    elif source.suffix in (".tsv", ".csv"):
        body = _table_html(source, max_rows)
    else:  # a file to open elsewhere (a bigWig): linked where it lies
        link = Path(os.path.relpath(source.resolve(), out_dir.resolve())).as_posix()
        body = f"<a href='{html.escape(link)}'>{html.escape(source.name)}</a>"
    return f"<figure>{body}{caption}</figure>"


def render(
    title: str,
    sections: dict[str, list[Item | Note | Overview | Fold]],
    out_html: str | Path,
    max_rows: int = 30,
    headline: str = "",
    headline_items: list[Item] | None = None,
) -> Path:
    """Write ``out_html`` with one section per key; figures copied beside it under unique names.

    headline: HTML shown first, above the section links, with ``headline_items`` (the result at a
    glance). After loading, the page sets ``data-broken-images`` (images that failed to render) and
    ``data-headline-on-first-screen`` ("yes" when the headline and its figures fit the window).
    """
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse;font-size:13px}"
        "td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}"
        ".record td,.record th{text-align:left;vertical-align:top}figure{margin:1.5em 0}figcaption,.note{color:#555;font-size:13px}"
        "#headline{background:#f4f8fb;padding:0.2em 1em;border-left:4px solid #2b6cb0}"
        "#headline img{max-height:50vh}.wide{overflow-x:auto}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if headline:
        figures = "".join(_item_html(item, out_html.parent, max_rows) for item in headline_items or [])
        parts.append(f"<section id='headline'>{headline}{figures}</section>")
    parts.append(
        "<nav>" + " · ".join(f"<a href='#{html.escape(s)}'>{html.escape(s)}</a>" for s in sections) + "</nav>"
    )
    for section, items in sections.items():
        parts.append(f"<h2 id='{html.escape(section)}'>{html.escape(section)}</h2>")
        parts += [_item_html(item, out_html.parent, max_rows) for item in items]
    # after loading, the page records what a headless browser checks
    parts.append(
        "<script>window.addEventListener('load',()=>{const d=document.body.dataset;"
        "d.brokenImages=[...document.images].filter(i=>!i.complete||i.naturalWidth===0).length;"
        "const h=document.getElementById('headline');"
        "d.headlineOnFirstScreen=h&&h.getBoundingClientRect().bottom<=window.innerHeight?'yes':'no'})</script>"
    )
    parts.append("</body></html>")
    with atomic_path(out_html) as tmp:
        tmp.write_text("\n".join(parts))
    shown = [*_figures(headline_items or []), *(f for items in sections.values() for f in _figures(items))]
    remove_unlisted(out_html.parent, "*.png", [out_html.parent / _copied_name(f) for f in shown])
    return out_html
