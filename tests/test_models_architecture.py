"""Kind and architecture from real tensor layouts written by the safetensors library."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.media.blob import Blob
from tutela.models.architecture import identify
from tutela.models.inspect import inspect_model
from tutela.models.safetensors import TensorInfo
from tutela.testing import models as tm

CASES = [
    ("sd1", "checkpoint", "checkpoint", "sd1"),
    ("sd2", "checkpoint", "checkpoint", "sd2"),
    ("sdxl", "checkpoint", "checkpoint", "sdxl"),
    ("sd3", "checkpoint", "diffusion-model", "sd3"),
    ("flux", "checkpoint", "diffusion-model", "flux"),
    ("sd1", "lora", "lora", "sd1"),
    ("sd2", "lora", "lora", "sd2"),
    ("sdxl", "lora", "lora", "sdxl"),
    ("flux", "lora", "lora", "flux"),
    ("sd1", "embedding", "embedding", "sd1"),
    ("sd2", "embedding", "embedding", "sd2"),
    ("sdxl", "embedding", "embedding", "sdxl"),
]


@pytest.mark.parametrize(("arch", "layout_kind", "kind", "expected"), CASES)
def test_layouts(tmp_path: Path, arch: str, layout_kind: str, kind: str, expected: str) -> None:
    path = tm.write_safetensors(tmp_path / "m.safetensors", tm.layout(arch, layout_kind))
    data = inspect_model(Blob.from_path(str(path)), "safetensors", str(path)).data
    assert (data["kind"], data["architecture"]) == (kind, expected), data["evidence"]
    assert data["evidence"]


def test_lora_rank_and_alpha_from_tensors(tmp_path: Path) -> None:
    path = tm.write_safetensors(tmp_path / "l.safetensors", tm.layout("sdxl", "lora"), alpha=8.0)
    data = inspect_model(Blob.from_path(str(path)), "safetensors", str(path)).data
    assert data["adapter"] == {
        "network": "lora",
        "modules": 3,
        "rank": 4,
        "ranks": [4],
        "alpha": 8.0,
    }
    assert data["layout"] == "kohya"


def test_flux_variant_from_guidance_embedding() -> None:
    dev = identify([TensorInfo(n, "F16", s) for n, s in tm.layout("flux").items()], {})
    schnell_names = {n: s for n, s in tm.layout("flux").items() if not n.startswith("guidance")}
    schnell = identify([TensorInfo(n, "F16", s) for n, s in schnell_names.items()], {})
    assert (dev.variant, schnell.variant) == ("dev", "schnell")


def _t(name: str, *shape: int) -> TensorInfo:
    return TensorInfo(name, "F16", shape)


def test_diffusers_unet_vae_and_text_encoders() -> None:
    unet = identify(
        [
            _t("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight", 640, 2048),
            _t("add_embedding.linear_1.weight", 8, 8),
        ],
        {},
    )
    assert (unet.kind, unet.architecture, unet.layout) == ("diffusion-model", "sdxl", "diffusers")
    vae = identify(
        [_t("encoder.conv_in.weight", 8, 3, 3, 3), _t("decoder.conv_in.weight", 8, 16, 3, 3)], {}
    )
    assert (vae.kind, vae.variant) == ("vae", "16-channel latent")
    clip = identify([_t("text_model.embeddings.token_embedding.weight", 10, 1280)], {})
    assert (clip.kind, clip.variant) == ("text-encoder", "clip-g")
    t5 = identify([_t("encoder.block.0.layer.0.SelfAttention.q.weight", 8, 8)], {})
    assert (t5.kind, t5.variant) == ("text-encoder", "t5")


def test_inpainting_and_refiner_variants() -> None:
    inpaint = identify(
        [
            _t("model.diffusion_model.input_blocks.0.0.weight", 320, 9, 3, 3),
            _t(
                "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight",
                8,
                768,
            ),
        ],
        {},
    )
    assert (inpaint.architecture, inpaint.variant) == ("sd1", "inpainting")
    refiner = identify(
        [
            _t(
                "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight",
                8,
                1280,
            )
        ],
        {},
    )
    assert (refiner.architecture, refiner.variant) == ("sdxl", "refiner")


def test_peft_lora_and_lycoris() -> None:
    peft = identify(
        [
            _t("transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight", 16, 8),
            _t("transformer.single_transformer_blocks.0.attn.to_q.lora_B.weight", 8, 16),
        ],
        {},
    )
    assert (peft.kind, peft.architecture, peft.adapter["rank"]) == ("lora", "flux", 16)
    loha = identify(
        [
            _t("lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a", 8, 4),
            _t("lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_b", 4, 8),
        ],
        {"ss_base_model_version": "sd_v1"},
    )
    assert (loha.kind, loha.adapter["network"], loha.architecture) == ("lycoris", "loha", "sd1")


def test_metadata_only_decides_when_tensors_cannot_and_disagreement_is_shown() -> None:
    unknown = identify(
        [_t("lora_unet_x.lora_down.weight", 4, 8)],
        {"modelspec.architecture": "stable-diffusion-xl-v1-base/lora"},
    )
    assert unknown.architecture == "sdxl"
    assert "tensors did not decide" in unknown.evidence[-1]
    conflict = identify(
        [TensorInfo(n, "F16", s) for n, s in tm.layout("sd1", "lora").items()],
        {"ss_base_model_version": "sdxl_base_v1-0"},
    )
    assert conflict.architecture == "sd1"
    assert "ss_base_model_version says sdxl, but the tensors say sd1" in conflict.evidence


def test_unrelated_tensors_are_unknown() -> None:
    ident = identify([_t("conv_first.weight", 8, 3, 3, 3)], {})
    assert (ident.kind, ident.architecture) == ("unknown", "unknown")
