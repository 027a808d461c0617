"""model.safetensors + model.json: roundtrip, mismatch errors, no code execution."""

import json

import pytest
import torch

from epibench.errors import InputError
from epibench.models.factory import build_model
from epibench.train.modelfile import load_model, save_model

W, M, NB, B = 64, 3, 4, 5
MARKS = ["H3K4me3", "H3K27ac", "H3K36me3"]
SMALL = {
    "hybrid": dict(
        d_model=16,
        n_heads=2,
        ff_dim=32,
        n_layers=2,
        stem_pool=2,
        stem_kernel=3,
        hist_dim=8,
        fusion_dim=16,
        fusion_heads=4,
        head_hidden=8,
        dropout=0.2,
    ),
    "cnn": dict(channels=(4, 6, 8), kernels=(5, 3, 3), pools=(2, 2, 2), dense=8, dropout=0.2),
}


def inputs():
    g = torch.Generator().manual_seed(0)
    mask = torch.rand(B, M, NB, generator=g) > 0.5
    return (
        torch.randint(0, 5, (B, W), generator=g),
        torch.randn(B, M, NB, generator=g) * mask,
        mask,
        torch.arange(B) % 4,
    )


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_roundtrip_gives_the_same_model(arch, tmp_path):
    torch.manual_seed(0)
    model = build_model(arch, M, NB, W, **SMALL[arch]).eval()
    save_model(tmp_path, model, {"marks": MARKS, "bin_size": 16, "training": {"best_epoch": 3}})
    loaded, meta = load_model(tmp_path, expect_marks=MARKS, expect_window=W)
    assert not loaded.training
    assert loaded.spec == model.spec
    assert model.state_dict().keys() == loaded.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key
    for key, value in model(*inputs()).items():
        assert torch.equal(value, loaded(*inputs())[key])
    assert meta["marks"] == MARKS and meta["window"] == W and meta["n_bins"] == NB
    assert meta["bin_size"] == 16 and meta["training"] == {"best_epoch": 3} and meta["arch"] == arch
    on_disk = json.loads((tmp_path / "model.json").read_text())
    assert on_disk["model_config"] == json.loads(json.dumps(model.spec["config"]))
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.fixture
def saved(tmp_path):
    model = build_model("cnn", M, NB, W, **SMALL["cnn"])
    save_model(tmp_path, model, {"marks": MARKS, "bin_size": 16})
    return tmp_path


def test_marks_mismatch_is_a_clear_error(saved):
    with pytest.raises(ValueError, match="H3K9me3") as err:
        load_model(saved, expect_marks=["H3K4me3", "H3K27ac", "H3K9me3"])
    assert "H3K36me3" in str(err.value) and "model.json" in str(err.value)
    with pytest.raises(ValueError, match="order"):
        load_model(saved, expect_marks=list(reversed(MARKS)))


def test_window_mismatch_is_a_clear_error(saved):
    with pytest.raises(ValueError, match="64 bp windows but the data have 1000 bp"):
        load_model(saved, expect_window=1000)


def test_missing_or_foreign_files(saved, tmp_path_factory):
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(InputError, match="model.json"):
        load_model(empty)
    (saved / "model.json").write_text('{"format": "something-else"}')
    with pytest.raises(InputError, match="not an epibench-model"):
        load_model(saved)
    (saved / "model.json").write_text('{\n  "format": \n}')
    with pytest.raises(InputError, match="line 3"):
        load_model(saved)


def test_save_checks_meta_against_the_model(tmp_path):
    model = build_model("cnn", M, NB, W, **SMALL["cnn"])
    with pytest.raises(ValueError, match="3 mark names"):
        save_model(tmp_path, model, {"marks": MARKS[:2]})
    with pytest.raises(ValueError, match="window"):
        save_model(tmp_path, model, {"marks": MARKS, "window": 1000})
    with pytest.raises(ValueError, match="build_model"):
        save_model(tmp_path, torch.nn.Linear(2, 2), {"marks": MARKS})
    assert not list(tmp_path.iterdir())


def test_weights_are_safetensors_not_pickle(saved):
    head = (saved / "model.safetensors").read_bytes()[:8]
    header_len = int.from_bytes(head, "little")
    header = json.loads((saved / "model.safetensors").read_bytes()[8 : 8 + header_len])
    assert "conv.0.weight" in header


@pytest.mark.parametrize("arch", ["hybrid", "cnn"])
def test_a_model_without_marks_saves_and_loads(arch, tmp_path):
    """A methylation-only cohort's model: n_marks 0, marks [] in model.json; it loads for data
    without marks and names the difference for data with them."""
    torch.manual_seed(0)
    model = build_model(arch, 0, NB, W, **SMALL[arch]).eval()
    save_model(tmp_path, model, {"marks": []})
    loaded, meta = load_model(tmp_path, expect_marks=[], expect_window=W)
    assert meta["n_marks"] == 0 and meta["marks"] == []
    seq, _, _, region = inputs()
    empty = (torch.zeros(B, 0, NB), torch.zeros(B, 0, NB, dtype=torch.bool))
    for key, value in model(seq, *empty, region).items():
        assert torch.equal(value, loaded(seq, *empty, region)[key])
    with pytest.raises(InputError, match=r"marks \[\]"):
        load_model(tmp_path, expect_marks=MARKS)
