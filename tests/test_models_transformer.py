"""The hand-written encoder block against PyTorch's own TransformerEncoderLayer and plain attention."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from epibench.models.factory import build_model
from epibench.models.transformer import Encoder, EncoderBlock, SelfAttention, make_norm
from tiny_models import TINY_HYBRID

DIM, HEADS, FF = 16, 4, 32


def torch_layer_with(block: EncoderBlock) -> nn.TransformerEncoderLayer:
    """nn.TransformerEncoderLayer (pre-norm, GELU, batch_first) holding ``block``'s weights."""
    layer = nn.TransformerEncoderLayer(
        DIM, HEADS, FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
    )
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(block.attention.qkv.weight)
        layer.self_attn.in_proj_bias.copy_(block.attention.qkv.bias)
        layer.self_attn.out_proj.weight.copy_(block.attention.out.weight)
        layer.self_attn.out_proj.bias.copy_(block.attention.out.bias)
        layer.linear1.load_state_dict(block.ff[0].state_dict())
        layer.linear2.load_state_dict(block.ff[3].state_dict())
        layer.norm1.load_state_dict(block.norm1.state_dict())
        layer.norm2.load_state_dict(block.norm2.state_dict())
    return layer


def randomise(module: nn.Module) -> None:
    """Non-trivial values everywhere (zero biases and unit norms would hide a swapped term)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if p.ndim == 1 else 0.0))


@pytest.mark.parametrize("train", [False, True])
def test_block_matches_torch_encoder_layer(train):
    torch.manual_seed(0)
    block = EncoderBlock(DIM, HEADS, FF, dropout=0.0, norm="layernorm")
    randomise(block)
    reference = torch_layer_with(block)
    block.train(train), reference.train(train)
    x = torch.randn(3, 11, DIM, requires_grad=True)
    ours, theirs = block(x), reference(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    (grad_ours,) = torch.autograd.grad(ours.square().sum(), x)
    (grad_theirs,) = torch.autograd.grad(theirs.square().sum(), x)
    torch.testing.assert_close(grad_ours, grad_theirs, rtol=1e-4, atol=1e-4)


def test_attention_is_softmax_of_scaled_scores():
    torch.manual_seed(1)
    attention = SelfAttention(DIM, HEADS, dropout=0.0).eval()
    randomise(attention)
    x = torch.randn(2, 7, DIM)
    q, k, v = attention.qkv(x).split(DIM, dim=-1)
    heads = [slice(h * DIM // HEADS, (h + 1) * DIM // HEADS) for h in range(HEADS)]
    per_head = []
    for s in heads:
        scores = q[..., s] @ k[..., s].transpose(1, 2) / math.sqrt(DIM // HEADS)
        per_head.append(torch.softmax(scores, dim=-1) @ v[..., s])
    expected = attention.out(torch.cat(per_head, dim=-1))
    torch.testing.assert_close(attention(x), expected, rtol=1e-5, atol=1e-5)


def test_attention_goes_through_sdpa_with_dropout_only_in_training(monkeypatch):
    calls = []
    real = F.scaled_dot_product_attention

    def counting(*args, **kwargs):
        calls.append(kwargs.get("dropout_p", 0.0))
        return real(*args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", counting)
    model = build_model("hybrid", 2, 4, 64, **{**TINY_HYBRID, "n_heads": 4, "n_layers": 3, "dropout": 0.2})
    batch = (
        torch.randint(0, 5, (2, 64), dtype=torch.uint8),
        torch.randn(2, 2, 4),
        torch.ones(2, 2, 4, dtype=torch.bool),
        torch.zeros(2, dtype=torch.int64),
    )
    model.train()(*batch)
    assert calls[:3] == [0.2, 0.2, 0.2]
    calls.clear()
    model.eval()(*batch)
    assert calls[:3] == [0.0, 0.0, 0.0]


def test_rmsnorm_encoder_has_no_mean_or_bias():
    torch.manual_seed(2)
    encoder = Encoder(DIM, HEADS, FF, n_layers=2, dropout=0.0, norm="rmsnorm")
    norms = [m for m in encoder.modules() if isinstance(m, nn.RMSNorm)]
    assert len(norms) == 5 and not any(isinstance(m, nn.LayerNorm) for m in encoder.modules())
    x = torch.randn(2, 5, DIM) + 3.0  # an offset LayerNorm would remove and RMSNorm keeps
    normed = make_norm("rmsnorm", DIM)(x)
    torch.testing.assert_close(normed, x / x.square().mean(-1, keepdim=True).add(1e-5).sqrt())
    assert normed.mean(-1).abs().min() > 0.5


def test_unknown_norm_and_bad_heads_are_refused():
    with pytest.raises(ValueError, match="unknown norm 'batchnorm'"):
        make_norm("batchnorm", DIM)
    with pytest.raises(ValueError, match="not a multiple of n_heads"):
        SelfAttention(10, 4, 0.0)


def test_a_seed_gives_the_weights_torch_encoder_had():
    torch.manual_seed(3)
    layer = nn.TransformerEncoderLayer(
        DIM, HEADS, FF, dropout=0.1, activation="gelu", batch_first=True, norm_first=True
    )
    reference = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(DIM), enable_nested_tensor=False)
    after_reference = torch.rand(1)
    torch.manual_seed(3)
    encoder = Encoder(DIM, HEADS, FF, n_layers=2, dropout=0.1, norm="layernorm")
    assert torch.equal(torch.rand(1), after_reference)  # the same draws from the RNG
    for ours, theirs in zip(encoder.layers, reference.layers, strict=True):
        rebuilt = torch_layer_with(ours)
        for (name, a), (_, b) in zip(rebuilt.named_parameters(), theirs.named_parameters(), strict=True):
            assert torch.equal(a, b), name
