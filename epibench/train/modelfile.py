"""Model files: ``model.safetensors`` (weights) + ``model.json`` (what is needed to rebuild it).

Loading executes no code: weights come from safetensors, the architecture from JSON
through ``epibench.models.factory.build_model``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from epibench.errors import InputError
from epibench.io.atomic import atomic_path
from epibench.models.factory import build_model

WEIGHTS = "model.safetensors"
META = "model.json"
FORMAT = "epibench-model"
FORMAT_VERSION = 1


def check_meta(model: nn.Module, meta: dict[str, Any]) -> dict[str, Any]:
    """The model.json fields for ``model`` + ``meta``; ValueError if they cannot describe it.

    model: built by ``build_model`` (carries ``.spec``; a torch.compile wrapper is unwrapped).
    meta:  must hold "marks" (mark names in channel order, len == n_marks); usually also
           "bin_size" (bp) and "training" (summary). arch, model_config, n_marks, n_bins and
           window are taken from ``model.spec``; if meta repeats them they must agree.
    """
    spec = getattr(getattr(model, "_orig_mod", model), "spec", None)
    if spec is None:
        raise ValueError("model has no .spec: build it with epibench.models.factory.build_model")
    fields = {
        "arch": spec["arch"],
        "model_config": spec["config"],
        "n_marks": spec["n_marks"],
        "n_bins": spec["n_bins"],
        "window": spec["window"],
        "n_context": spec["n_context"],
    }
    marks = meta.get("marks")
    if not isinstance(marks, (list, tuple)) or len(marks) != fields["n_marks"]:
        raise ValueError(
            f"meta['marks'] must list the {fields['n_marks']} mark names the model was built for, got {marks!r}"
        )
    clashes = {k: (meta[k], v) for k, v in fields.items() if k in meta and meta[k] != v}
    if clashes:
        raise ValueError(f"meta disagrees with the model (meta, model): {clashes}")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **meta,
        **fields,
        "marks": list(marks),
    }


def save_model(out_dir: str | os.PathLike, model: nn.Module, meta: dict[str, Any]) -> Path:
    """Write ``out_dir/model.safetensors`` then ``out_dir/model.json``, each atomically.

    model.json = ``check_meta(model, meta)`` (format, format_version, meta's keys, arch,
    model_config, n_marks, n_bins, window, marks). Returns the path of model.json.
    """
    text = json.dumps(check_meta(model, meta), indent=2, allow_nan=False)
    model = getattr(model, "_orig_mod", model)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    out_dir = Path(out_dir)
    with atomic_path(out_dir / WEIGHTS) as tmp:
        save_file(state, str(tmp), metadata={"format": "pt"})
    with atomic_path(out_dir / META) as tmp:
        tmp.write_text(text + "\n")
    return out_dir / META


def check_data(
    meta: dict[str, Any],
    marks: list[str] | None,
    window: int | None,
    meta_path: str | os.PathLike,
) -> None:
    """InputError naming ``meta_path`` when the data's marks (in channel order) or window (bp)
    differ from the model's; None skips a check."""
    if marks is not None and list(marks) != list(meta["marks"]):
        raise InputError(
            f"the model was trained with marks {meta['marks']} (in this order) but the data have "
            f"{list(marks)}",
            path=meta_path,
        )
    if window is not None and int(window) != meta["window"]:
        raise InputError(
            f"the model was trained on {meta['window']} bp windows but the data have {window} bp",
            path=meta_path,
        )


def load_model(
    out_dir: str | os.PathLike,
    expect_marks: list[str] | None = None,
    expect_window: int | None = None,
    device: str | torch.device = "cpu",
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model saved in ``out_dir`` (eval mode, on ``device``) and return (model, meta).

    expect_marks / expect_window: the data's marks (in channel order) and window (bp);
    an InputError (a ValueError) naming model.json says what differs from training.
    """
    out_dir = Path(out_dir)
    meta_path, weights_path = out_dir / META, out_dir / WEIGHTS
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise InputError("model file missing (train a model into this folder first)", path=path)
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg}", path=meta_path, line=err.lineno) from err
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"not an {FORMAT} v{FORMAT_VERSION} file (format={meta.get('format')!r}, "
            f"format_version={meta.get('format_version')!r})",
            path=meta_path,
        )
    check_data(meta, expect_marks, expect_window, meta_path)
    model = build_model(
        meta["arch"],
        meta["n_marks"],
        meta["n_bins"],
        meta["window"],
        meta.get("n_context", 0),
        **meta["model_config"],
    )
    model.load_state_dict(load_file(str(weights_path)), strict=True)
    return model.to(device).eval(), meta
