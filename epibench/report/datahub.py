"""WashU Epigenome Browser datahub: ``hub.json`` listing exported bigWigs and the input histone bigWigs.

Files written into ``out_dir`` (normally ``results/<cohort>/tracks/``, next to the bigWigs of
:mod:`epibench.report.track_export`):

- ``inputs/<sample>.<mark>.bw``: symbolic links to the sample sheet's histone bigWigs (copies on the
  reference's sequence names for those named otherwise: ``track_export.on_reference_names``), and
  ``inputs/<sample>.imputed.bw`` to the predicted levels of a sample without calls (``impute``) and
  ``inputs/<sample>.variant_delta.bw`` to the variants' predicted changes with its marks (``variants``);
- ``hub.json``: a WashU Epigenome Browser datahub listing the exported tracks and the inputs,
  each sample's histone tracks first, then its exported tracks.

Datahub format (WashU Epigenome Browser documentation, "Datahub", eg.readthedocs.io): a JSON
array of track objects ``{"type": "bigwig", "name", "url", "showOnHubLoad": true, "options":
{...}, "metadata": {...}}``; the options used (``color``, ``color2`` for negative values,
``height`` in px, ``yScale`` "auto" or "fixed" with ``yMin``/``yMax``) are those of the browser's
numerical tracks (eg-react source, NumericalTrack DEFAULT_OPTIONS). Tracks lacking
``showOnHubLoad: true`` are listed but not displayed. A relative ``url`` is resolved against
the folder of the hub's URL when the hub is loaded from a URL (eg-react DataHubParser), so with
the default ``base_url=""`` the folder can be served as is; a hub uploaded as a file skips
relative URLs.

Loading it in the browser (https://epigenomegateway.wustl.edu/browser/):

1. serve ``out_dir`` over HTTP. The browser reads bigWigs with byte-range requests from another
   origin, so the server must answer ``Range`` requests and send CORS headers; Python's
   ``python -m http.server`` does neither. :func:`epibench.report.serve.serve` does both:
   ``epibench tracks serve --dir results/<cohort>/tracks``
   (port 8000 on 127.0.0.1; Chrome and Firefox let an https page read from http://127.0.0.1,
   Chrome may first ask for permission to access the local network);
2. choose the genome assembly of the reference (the bigWigs use the reference's sequence
   names, e.g. ``chr1``, which must be the browser's names for that assembly);
3. menu "Tracks" > "Remote Tracks" > tab "Add Remote Data Hub", paste
   ``http://127.0.0.1:8000/hub.json`` as "Remote hub URL", "Load from URL".

For a server elsewhere, write the hub with ``base_url`` set to the URL ``out_dir`` is served
at, so every track URL is absolute.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from epibench.errors import InputError
from epibench.io.atomic import atomic_path

PREDICTED, ERROR, ATTRIBUTION, IMPUTED = "predicted", "error", "attribution", "imputed"
VARIANT_DELTA = "variant_delta"  # a sample's variants/<sample>.delta.bw: predicted level, ALT - REF
OBSERVED, OBSERVED_NAME = "observed", "test"  # the test CpGs' measured levels: test.<sample>.observed.bw
INPUTS_DIR = "inputs"
HUB_NAME = "hub.json"
# display options per kind of track (WashU numerical-track options)
TRACK_OPTIONS = {
    PREDICTED: {"color": "#1f77b4", "height": 40, "yScale": "fixed", "yMin": 0, "yMax": 1},
    OBSERVED: {"color": "#000000", "height": 40, "yScale": "fixed", "yMin": 0, "yMax": 1},
    ERROR: {"color": "#d62728", "color2": "#1f77b4", "height": 40, "yScale": "fixed", "yMin": -1, "yMax": 1},
    ATTRIBUTION: {"color": "#2ca02c", "color2": "#9467bd", "height": 50, "yScale": "auto"},
    IMPUTED: {"color": "#ff7f0e", "height": 40, "yScale": "fixed", "yMin": 0, "yMax": 1},
    VARIANT_DELTA: {"color": "#d62728", "color2": "#1f77b4", "height": 40, "yScale": "auto"},
    "input": {"color": "#555555", "height": 40, "yScale": "auto"},
}


def exported_tracks(paths: Iterable[str | os.PathLike]) -> list[tuple[str, Path, str]]:
    """(name, file, kind) of files written here: name = the file name without ``.bw``
    (``<model>.<sample>.<kind>``), kind = its last dot-separated part."""
    return [(Path(p).stem, Path(p), Path(p).stem.rsplit(".", 1)[-1]) for p in paths]


def _url(path: Path, out_dir: Path, base_url: str) -> str:
    """URL of ``path`` (inside ``out_dir``): ``base_url`` + its path relative to ``out_dir``."""
    try:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(out_dir))
    except ValueError:
        raise InputError(f"track is not inside the hub folder {out_dir}", path=path) from None
    url = quote(relative.as_posix())
    return f"{base_url.rstrip('/')}/{url}" if base_url else url


def _link_input(path: str | os.PathLike, out_dir: Path, sample: str, mark: str) -> Path:
    """``path`` itself when inside ``out_dir``, else a symlink ``out_dir/inputs/<sample>.<mark>.bw``
    to it (replaced atomically)."""
    source = Path(os.path.abspath(path))
    if not source.is_file():
        raise InputError(f"track of sample {sample}, {mark} not found", path=path)
    if source.is_relative_to(os.path.abspath(out_dir)):
        return source
    link = out_dir / INPUTS_DIR / f"{sample}.{mark}.bw"
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(source)
    os.replace(tmp, link)
    return link


def _sample_of(file: Path, kind: str, samples: Sequence[str]) -> str | None:
    """The sample whose name ``file`` carries (``*.<sample>.<kind>.bw``); the longest such name."""
    matches = [s for s in samples if file.name.endswith(f".{s}.{kind}.bw")]
    return max(matches, key=len) if matches else None


def _hub_entry(name: str, url: str, options: dict, assay: str, sample: str | None) -> dict:
    """One datahub track object: a bigwig shown on load, with display ``options`` and metadata
    (assay: the mark or the kind of exported track; sample when known)."""
    metadata = {"assay": assay} if sample is None else {"sample": sample, "assay": assay}
    return {
        "type": "bigwig",
        "name": name,
        "url": url,
        "showOnHubLoad": True,
        "options": dict(options),
        "metadata": metadata,
    }


def write_hub(
    out_dir: str | os.PathLike,
    tracks: Sequence[tuple[str, str | os.PathLike, str]],
    input_tracks: dict[str, dict[str, str | os.PathLike]],
    base_url: str = "",
    linked: dict[str, dict[str, str | os.PathLike]] | None = None,
) -> Path:
    """Write ``out_dir/hub.json`` (WashU datahub) listing ``tracks`` and the input histone bigWigs.

    tracks: (name, file, kind) of exported bigWigs inside ``out_dir`` (kind: predicted, observed,
    error, attribution; :func:`exported_tracks` builds them). input_tracks: sample -> mark -> bigWig
    path; those outside ``out_dir`` are symlinked into ``out_dir/inputs``. linked: kind -> sample ->
    bigWig of a sample's other results, linked the same way (IMPUTED: the levels predicted for a
    sample without calls; VARIANT_DELTA: the variants' predicted changes with its marks). Order: per
    sample (in ``input_tracks`` order, then the linked ones') its marks, its linked tracks, then its
    exported tracks; then exported tracks of no listed sample. URLs: ``base_url`` + path relative to
    ``out_dir`` (relative URLs by default).
    """
    out_dir = Path(out_dir)
    linked = linked or {}
    samples = list(dict.fromkeys([*input_tracks, *(s for paths in linked.values() for s in paths)]))
    by_sample: dict[str | None, list[dict]] = {s: [] for s in [*samples, None]}
    for name, file, kind in tracks:
        sample = _sample_of(Path(file), kind, samples)
        options = TRACK_OPTIONS.get(kind, TRACK_OPTIONS["input"])
        by_sample[sample].append(_hub_entry(name, _url(Path(file), out_dir, base_url), options, kind, sample))
    hub = []
    for sample in samples:
        own = [(mark, path, TRACK_OPTIONS["input"]) for mark, path in input_tracks.get(sample, {}).items()]
        own += [
            (kind, paths[sample], TRACK_OPTIONS[kind]) for kind, paths in linked.items() if sample in paths
        ]
        for assay, path, options in own:
            url = _url(_link_input(path, out_dir, sample, assay), out_dir, base_url)
            hub.append(_hub_entry(f"{sample}.{assay}", url, options, assay, sample))
        hub.extend(by_sample[sample])
    hub.extend(by_sample[None])
    with atomic_path(out_dir / HUB_NAME) as tmp:
        tmp.write_text(json.dumps(hub, indent=2) + "\n")
    return out_dir / HUB_NAME
