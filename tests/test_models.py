"""Model shapes and behaviour at small sizes (W=200, M=3, NB=10)."""

import math

import pytest
import torch
from torch import nn

from epibench.models.base import MethylationModel
from epibench.models.factory import ARCHITECTURES, build_model, count_parameters, model_config
from epibench.models.hybrid import HybridModel
from epibench.models.heads import RegionHeads
from epibench.models.hybrid import centre_tokens
from epibench.codes import BASES, N_CODE, REGION_CLASSES

W, M, NB, B = 200, 3, 10, 6
SMALL = {
    "hybrid": dict(
        d_model=32,
        n_heads=4,
        ff_dim=64,
        n_layers=1,
        stem_pool=4,
        stem_kernel=5,
        hist_dim=16,
        fusion_dim=32,
        fusion_heads=4,
        head_hidden=16,
        dropout=0.1,
    ),
    "cnn": dict(channels=(8, 16), kernels=(5, 3), pools=(4, 2), dense=16, dropout=0.1),
}


def small(arch, **extra):
    torch.manual_seed(0)
    return build_model(arch, M, NB, W, **{**SMALL[arch], **extra}).eval()


def inputs(seed=1, batch=B):
    g = torch.Generator().manual_seed(seed)
    seq = torch.randint(0, len(BASES), (batch, W), generator=g)
    hist = torch.randn(batch, M, NB, generator=g)
    mask = torch.rand(batch, M, NB, generator=g) > 0.3
    region = torch.arange(batch) % len(REGION_CLASSES)
    return seq, hist * mask, mask, region


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_output_shapes_and_ranges(arch):
    out = small(arch)(*inputs())
    assert set(out) == {"level", "logit"}  # attention only when asked
    assert out["level"].shape == out["logit"].shape == (B,)
    assert out["level"].dtype == out["logit"].dtype == torch.float32
    assert ((out["level"] >= 0) & (out["level"] <= 1)).all()


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_every_registered_model_keeps_the_contract(arch):
    """epibench.models.base: built from the registry under its own name, the one-hot input layer to
    attribute through, attention exactly when declared, a clear error for another window."""
    model = small(arch)
    assert isinstance(model, MethylationModel) and model.arch == arch == model.spec["arch"]
    assert model.seq_input(inputs()[0]).shape == (B, W, len(BASES))
    if model.has_attention:
        assert model(*inputs(), return_attention=True)["attention"].shape[-1] == NB
    else:
        with pytest.raises(ValueError, match="no attention"):
            model(*inputs(), return_attention=True)
    seq, hist, mask, region = inputs()
    with pytest.raises(ValueError, match=f"windows of {W} bp"):
        model(seq[:, :-2], hist, mask, region)


def test_hybrid_seq_embedding_is_an_embedding_of_five_codes():
    model = small("hybrid")
    assert isinstance(model.seq_embedding, nn.Embedding)
    assert model.seq_embedding.num_embeddings == len(BASES)
    assert any(module is model.seq_embedding for module in model.modules())


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_sequence_is_read_through_the_one_hot_input_layer(arch):
    model = small(arch)
    seen = []
    handle = model.seq_input.register_forward_hook(lambda module, args, out: seen.append(out))
    seq = inputs()[0]
    model(*inputs())
    handle.remove()
    assert seen[0].shape == (B, W, len(BASES))
    assert torch.equal(seen[0].argmax(-1), seq)


def test_folded_stem_equals_embedding_then_convolution():
    stem = small("hybrid").sequence
    seq = inputs()[0]
    reference = nn.functional.conv1d(
        stem.seq_embedding(seq).transpose(1, 2), stem.stem_conv.weight, stem.stem_conv.bias, padding="same"
    )
    folded = stem.embed_and_convolve(stem.seq_input(seq))
    torch.testing.assert_close(folded, reference, rtol=1e-5, atol=1e-5)


def test_cnn_sees_n_as_no_base():
    model = small("cnn")
    seq, hist, mask, region = inputs()
    all_n = torch.full_like(seq, N_CODE)
    first_conv = model.conv[0]
    with torch.no_grad():
        first_conv.bias.zero_()
        activation = first_conv(model.seq_input(all_n)[..., :N_CODE].transpose(1, 2))
    assert torch.equal(activation, torch.zeros_like(activation))
    assert count_parameters(model) == count_parameters(model, trainable_only=True)


def test_hybrid_embedding_gets_gradients():
    model = small("hybrid").train()
    model(*inputs())["logit"].sum().backward()
    assert model.seq_embedding.weight.grad is not None
    assert model.seq_embedding.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_masked_histone_values_do_not_matter(arch):
    model = small(arch)
    seq, hist, mask, region = inputs()
    mask[0, 0, 0] = False
    base = model(seq, hist * mask, mask, region)
    noise = torch.randn(hist.shape, generator=torch.Generator().manual_seed(7)) * 100
    noise[0, 0, 0] = math.nan
    changed_hidden = torch.where(mask, hist, noise)
    hidden = model(seq, changed_hidden, mask, region)
    for key in base:
        assert torch.allclose(base[key], hidden[key], atol=1e-6)
    # ... while observed values do change the output (so the check above can fail)
    changed_seen = torch.where(mask, hist + 3.0, hist)
    seen = model(seq, changed_seen, mask, region)
    assert not torch.allclose(base["logit"], seen["logit"], atol=1e-4)


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_mask_itself_is_a_feature(arch):
    model = small(arch)
    seq, hist, mask, region = inputs()
    zero = torch.zeros_like(hist)
    observed_zero = model(seq, zero, torch.ones_like(mask), region)
    missing = model(seq, zero, torch.zeros_like(mask), region)
    assert not torch.allclose(observed_zero["logit"], missing["logit"], atol=1e-4)


def test_all_bins_masked_gives_finite_output_and_attention():
    seq, hist, mask, region = inputs()
    mask[0] = False
    out = small("hybrid")(seq, hist * mask, mask, region, return_attention=True)
    for value in out.values():
        assert torch.isfinite(value).all()


def test_attention_shape_and_rows_sum_to_one():
    out = small("hybrid")(*inputs(), return_attention=True)
    pool, heads = SMALL["hybrid"]["stem_pool"], SMALL["hybrid"]["fusion_heads"]
    assert out["attention"].shape == (B, heads, W // pool, NB)
    assert torch.allclose(out["attention"].sum(-1), torch.ones(B, heads, W // pool), atol=1e-5)
    assert (out["attention"] >= 0).all()
    plain = small("hybrid")(*inputs())
    assert "attention" not in plain
    assert torch.allclose(plain["logit"], out["logit"], atol=1e-5)


def test_cnn_refuses_attention():
    model = small("cnn")
    assert model.has_attention is False and small("hybrid").has_attention is True
    with pytest.raises(ValueError, match="no attention"):
        model(*inputs(), return_attention=True)


def test_region_routing_uses_only_the_region_head():
    model = small("hybrid")
    keep = REGION_CLASSES.index("enhancer")
    with torch.no_grad():
        for index, head in enumerate(model.heads.heads):
            if index != keep:
                for p in head.parameters():
                    p.zero_()
    seq, hist, mask, _ = inputs()
    for region_code in range(len(REGION_CLASSES)):
        out = model(seq, hist, mask, torch.full((B,), region_code))
        if region_code == keep:
            assert (out["logit"] != 0).all() and (out["level"] != 0.5).all()
        else:
            assert (out["logit"] == 0).all() and (out["level"] == 0.5).all()


def test_region_heads_gather_each_rows_head():
    torch.manual_seed(0)
    heads = RegionHeads(in_dim=8, hidden=4, dropout=0.0).eval()
    x = torch.randn(10, 8)
    region = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0, 1, 2])
    out = heads(x, region)
    for row in range(10):
        expected = heads.heads[int(region[row])](x[row : row + 1])[0]
        assert torch.allclose(out[row], expected, atol=1e-6)


def test_centre_tokens_hold_the_cpg():
    for window, pool in [(1000, 4), (1000, 1), (200, 4), (1000, 8), (101, 4)]:
        first, last = centre_tokens(window, pool)
        c, g = window // 2 - 1, window // 2
        assert first * pool <= c < (first + 1) * pool
        assert last * pool <= g < (last + 1) * pool
        assert last < window // pool
    assert centre_tokens(1000, 4) == (124, 125)


def test_one_token_per_base_variant():
    model = small("hybrid", stem_pool=1)
    out = model(*inputs(), return_attention=True)
    assert out["attention"].shape[2] == W


def test_readout_sees_the_centre_more_than_the_edges():
    """Changing the CpG's own bases changes the prediction (the centre is read out)."""
    model = small("hybrid")
    seq, hist, mask, region = inputs()
    flipped = seq.clone()
    flipped[:, W // 2 - 1 : W // 2 + 1] = (seq[:, W // 2 - 1 : W // 2 + 1] + 1) % 4
    assert not torch.allclose(
        model(seq, hist, mask, region)["logit"], model(flipped, hist, mask, region)["logit"], atol=1e-5
    )


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_wrong_window_or_histone_shape_is_a_clear_error(arch):
    model = small(arch)
    seq, hist, mask, region = inputs()
    with pytest.raises(ValueError, match="200 bp"):
        model(seq[:, :100], hist, mask, region)
    with pytest.raises(ValueError, match="marks"):
        model(seq, hist[:, :2], mask[:, :2], region)


def test_factory_rejects_unknown_arch_and_keys():
    with pytest.raises(ValueError, match="'transformer'"):
        build_model("transformer", M, NB, W)
    with pytest.raises(ValueError, match="d_modle"):
        build_model("hybrid", M, NB, W, d_modle=64)
    with pytest.raises(ValueError, match="d_model"):
        build_model("cnn", M, NB, W, d_model=64)  # a hybrid setting is unknown to the cnn
    with pytest.raises(ValueError, match="n_bins"):
        build_model("cnn", M, 0, W)


def test_factory_applies_defaults_and_overrides():
    assert model_config("hybrid") == HybridModel.defaults
    model = small("hybrid", n_layers=2)
    assert len(model.sequence.encoder.layers) == 2
    assert model.spec["config"]["n_layers"] == 2
    assert model.spec["window"] == W and model.spec["n_marks"] == M and model.spec["n_bins"] == NB
    assert model_config("cnn", channels=[4, 4], kernels=[3, 3], pools=[2, 2])["channels"] == (4, 4)


def test_seed_default_shapes():
    d = HybridModel.defaults
    assert (d["d_model"], d["n_heads"], d["ff_dim"], d["n_layers"], d["stem_pool"]) == (256, 8, 2048, 4, 4)
    assert (d["hist_dim"], d["fusion_dim"], d["fusion_heads"]) == (128, 512, 8)
    model = build_model("hybrid", M, NB, 1000)
    layer = model.sequence.encoder.layers[0]
    assert layer.attention.qkv.in_features == 256 and layer.attention.n_heads == 8
    assert layer.ff[0].out_features == 2048 and len(model.sequence.encoder.layers) == 4
    assert model.fusion.attention.embed_dim == 512 and model.fusion.attention.num_heads == 8
    assert model.histone.proj.out_features == 128


def test_local_readout_spans_the_cpg_neighbourhood():
    from epibench.models.hybrid import local_tokens

    # C at 499 -> token 124, G at 500 -> token 125; 48 bp = 12 tokens of 4 bp each side
    assert local_tokens(1000, 4, 48) == (112, 137)
    assert local_tokens(1000, 8, 48) == (56, 68)
    assert local_tokens(40, 4, 1000) == (0, 9)  # clipped to the window's 10 tokens


def test_local_readout_weights_depend_on_the_offset():
    from epibench.models.hybrid import LocalReadout

    torch.manual_seed(0)
    readout = LocalReadout((2, 5), dim=4, local_dim=3, out_dim=2)
    tokens = torch.zeros(1, 8, 4)
    near, far = tokens.clone(), tokens.clone()
    near[0, 3] = 1.0
    far[0, 4] = 1.0
    outside = tokens.clone()
    outside[0, 7] = 1.0
    assert not torch.allclose(readout(near), readout(far))
    assert torch.equal(readout(outside), readout(tokens))


def sequence_only(arch):
    torch.manual_seed(0)
    return build_model(arch, 0, NB, W, **SMALL[arch])


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_a_model_without_marks_reads_the_sequence_alone(arch):
    """n_marks 0 (a methylation-only cohort): hist is (B, 0, NB); every parameter learns from the
    sequence (and region), none sees an empty histone input."""
    model = sequence_only(arch).train()
    seq, _, _, region = inputs()
    hist, mask = torch.zeros(B, 0, NB), torch.zeros(B, 0, NB, dtype=torch.bool)
    out = model(seq, hist, mask, region)
    assert out["level"].shape == out["logit"].shape == (B,)
    (out["level"].sum() + out["logit"].sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.has_attention is False
    assert model.spec["n_marks"] == 0
    with pytest.raises(ValueError, match="attention"):
        model(seq, hist, mask, region, return_attention=True)
    # fewer parameters than with one mark: nothing is kept for a histone input that never comes
    assert count_parameters(model) < count_parameters(build_model(arch, 1, NB, W, **SMALL[arch]))


def test_hybrid_without_marks_has_no_histone_encoder_or_fusion():
    names = [name for name, _ in sequence_only("hybrid").named_parameters()]
    assert not any(name.startswith(("histone.", "fusion.")) for name in names)
    assert any(name.startswith("sequence.") for name in names)


@pytest.mark.parametrize("readout", [True, False])
def test_histone_readout_is_a_path_from_the_marks_beside_the_fusion(readout):
    """With the fusion's attention output zeroed the marks reach the heads only through the histone
    readout: they change the prediction with it and not without it."""
    model = small("hybrid", histone_readout=readout)
    with torch.no_grad():
        model.fusion.attention.out_proj.weight.zero_()
        model.fusion.attention.out_proj.bias.zero_()
    seq, hist, mask, region = inputs()
    base = model(seq, hist, mask, region)["logit"]
    moved = model(seq, hist + 2.0 * mask, mask, region)["logit"]
    assert torch.allclose(base, moved, atol=1e-5) != readout
