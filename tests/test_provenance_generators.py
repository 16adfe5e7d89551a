"""Generator metadata written by the real libraries the tools use (Pillow text chunks, piexif
EXIF, XMP packets, alpha LSBs), read back with tool, model, seed, prompts and model hashes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from tutela.provenance import InspectOptions, ProvenanceResult, inspect_bytes, stealth
from tutela.provenance.generators.a1111 import parse, parse_params_line
from tutela.testing import provenance as fx
from tutela.testing.synth import encode, landscape

P = fx.BENIGN_PROMPT
N = fx.BENIGN_NEGATIVE
FAST = InspectOptions(watermark=False)
A1111 = (
    f"{P} <lora:sunsetGlow_v2:0.7>\nNegative prompt: {N}\n"
    "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567, "
    "Size: 512x768, Model hash: c0d1994c73, Model: realisticScenery_v5, VAE hash: 735e4c3a44, "
    'VAE: sdxl_vae.safetensors, Lora hashes: "sunsetGlow_v2: 9f3c2b1a7e44", '
    'TI hashes: "cloudy: 1a2b3c4d5e6f", Hashes: {"model": "c0d1994c73", '
    '"lora:sunsetGlow_v2": "9f3c2b1a7e44"}, Version: v1.9.4'
)


def image(seed: int = 1) -> Image.Image:
    return landscape(seed, 320, 240)


def only(result: ProvenanceResult) -> dict[str, object]:
    assert result.status == "declared-ai", result.summary
    assert len(result.generators) == 1, result.generators
    assert result.errors == []
    return result.to_json()["generators"][0]  # type: ignore[no-any-return]


def check_a1111(gen: dict[str, object]) -> None:
    assert gen["tool"] == "AUTOMATIC1111"
    assert gen["model"] == "realisticScenery_v5" and gen["model_hash"] == "c0d1994c73"
    assert gen["seed"] == 1234567 and gen["steps"] == 30 and gen["cfg_scale"] == 7.0
    assert gen["sampler"] == "DPM++ 2M" and gen["scheduler"] == "Karras"
    assert (gen["width"], gen["height"]) == (512, 768)
    assert gen["prompt"] == f"{P} <lora:sunsetGlow_v2:0.7>" and gen["negative_prompt"] == N
    models = {(m["role"], m["name"], m["hash"]) for m in gen["models"]}  # type: ignore[attr-defined]
    assert ("checkpoint", "realisticScenery_v5", "c0d1994c73") in models
    assert ("lora", "sunsetGlow_v2", "9f3c2b1a7e44") in models
    assert ("embedding", "cloudy", "1a2b3c4d5e6f") in models
    assert ("vae", "sdxl_vae.safetensors", "735e4c3a44") in models


def test_a1111_png_parameters() -> None:
    result = inspect_bytes(fx.png_with_text(image(), {"parameters": A1111}), options=FAST)
    check_a1111(only(result))
    assert {p.text for p in result.prompts} == {f"{P} <lora:sunsetGlow_v2:0.7>", N}
    assert result.evidence[0].where == "png-text:parameters"


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_a1111_exif_user_comment_utf16(fmt: str) -> None:
    data = fx.with_exif(image(), fmt, user_comment=A1111)
    result = inspect_bytes(data, options=FAST)
    check_a1111(only(result))
    assert result.generators[0].where == "exif:UserComment"


def test_a1111_stealth_alpha() -> None:
    rgba = np.asarray(image().convert("RGBA")).copy()
    hidden = stealth.embed(rgba, A1111)
    result = inspect_bytes(encode(Image.fromarray(hidden, "RGBA"), "PNG"), options=FAST)
    gen = only(result)
    check_a1111(gen)
    assert gen["where"] == "stealth-alpha:parameters"
    uncompressed = stealth.embed(rgba, A1111, compress=False)
    assert stealth.extract(uncompressed) == stealth.StealthPayload("stealth_pnginfo", A1111)


def test_forge_version_is_named() -> None:
    info = parse(A1111.replace("Version: v1.9.4", "Version: f2.0.1v1.10.1"), "png-text:parameters")
    assert info is not None and info.tool == "Forge"


def test_quoted_values_keep_their_commas() -> None:
    parsed = parse_params_line('Steps: 2, Lora hashes: "a: 1, b: 2", Seed: 3')
    assert parsed == {"Steps": "2", "Lora hashes": "a: 1, b: 2", "Seed": "3"}


def novelai_png(key: Ed25519PrivateKey, tamper: bool = False) -> bytes:
    rgba = np.asarray(image(3).convert("RGBA")).copy()
    fields, _ = fx.novelai_signed(rgba, key)
    if tamper:
        rgba[0, 0, 0] ^= 1
    return fx.png_with_text(Image.fromarray(rgba, "RGBA"), fields)


def test_novelai_signature_verifies_with_its_key() -> None:
    key = Ed25519PrivateKey.generate()
    options = InspectOptions(watermark=False, novelai_keys={"test": fx.public_key_b64(key)})
    result = inspect_bytes(novelai_png(key), options=options)
    gen = only(result)
    assert gen["tool"] == "NovelAI" and gen["seed"] == 1234 and gen["model_hash"] == "4BDE2A90"
    signature = next(e for e in result.evidence if e.source == "novelai-signature")
    assert signature.kind == "signature" and signature.strength == "verified"
    assert result.confidence == pytest.approx(0.99)


def test_novelai_signature_fails_on_changed_pixels_and_under_the_real_key() -> None:
    key = Ed25519PrivateKey.generate()
    test_keys = InspectOptions(watermark=False, novelai_keys={"test": fx.public_key_b64(key)})
    tampered = inspect_bytes(novelai_png(key, tamper=True), options=test_keys)
    assert next(e for e in tampered.evidence if e.source == "novelai-signature").kind == (
        "signature-mismatch"
    )
    # The default options verify against NovelAI's published key, which did not sign this.
    published = inspect_bytes(novelai_png(key), options=FAST)
    mismatch = next(e for e in published.evidence if e.source == "novelai-signature")
    assert mismatch.kind == "signature-mismatch" and mismatch.data["state"] == "invalid"
    assert published.status == "declared-ai" and published.confidence == pytest.approx(0.85)


def test_novelai_stealth_alpha_copy() -> None:
    key = Ed25519PrivateKey.generate()
    rgba = np.asarray(image(4).convert("RGBA")).copy()
    fields, _ = fx.novelai_signed(rgba, key)
    hidden = stealth.embed(rgba, json.dumps(fields))  # alpha LSBs are not signed pixels
    options = InspectOptions(watermark=False, novelai_keys={"test": fx.public_key_b64(key)})
    result = inspect_bytes(encode(Image.fromarray(hidden, "RGBA"), "PNG"), options=options)
    assert only(result)["where"] == "stealth-alpha:Comment"
    assert any(e.kind == "signature" for e in result.evidence)


INVOKE_V5 = {
    "generation_mode": "txt2img",
    "positive_prompt": P,
    "negative_prompt": N,
    "width": 1024,
    "height": 1024,
    "seed": 42,
    "cfg_scale": 6.5,
    "steps": 30,
    "scheduler": "dpmpp_2m",
    "model": {"key": "k1", "hash": "blake3:abc123", "name": "Scenery XL", "base": "sdxl"},
    "loras": [{"model": {"name": "golden-hour", "hash": "blake3:def456"}, "weight": 0.6}],
    "app_version": "5.6.0",
}


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ({"invokeai_metadata": json.dumps(INVOKE_V5)}, ("5.6.0", "Scenery XL", 42)),
        (
            {"invokeai_metadata": json.dumps({**INVOKE_V5, "model": {"model_name": "sd-1.5"}})},
            ("5.6.0", "sd-1.5", 42),
        ),
        (
            {
                "sd-metadata": json.dumps(
                    {
                        "app_id": "invoke-ai/InvokeAI",
                        "app_version": "2.3.5",
                        "model_weights": "stable-diffusion-1.5",
                        "model_hash": "cc6cb27103",
                        "image": {
                            "prompt": [{"prompt": f"{P} [{N}]", "weight": 1}],
                            "sampler": "k_lms",
                            "steps": 50,
                            "cfg_scale": 7.5,
                            "seed": 7,
                        },
                    }
                ),
                "Dream": f'"{P} [{N}]" -s 50 -S 7 -W 512 -H 512 -C 7.5 -A k_lms',
            },
            ("2.3.5", "stable-diffusion-1.5", 7),
        ),
        (
            {"Dream": f'"{P} [{N}]" -s 50 -S 2980747362 -W 512 -H 768 -C 5.0 -A k_lms'},
            ("1.x", None, 2980747362),
        ),
    ],
)
def test_invokeai_all_versions(chunks: dict[str, str], expected: tuple[object, ...]) -> None:
    gen = only(inspect_bytes(fx.png_with_text(image(), chunks), options=FAST))
    assert gen["tool"] == "InvokeAI"
    assert (gen["version"], gen["model"], gen["seed"]) == expected
    assert gen["prompt"] == P and gen["negative_prompt"] == N


def test_invokeai_model_hashes_for_forensics() -> None:
    data = fx.png_with_text(image(), {"invokeai_metadata": json.dumps(INVOKE_V5)})
    models = inspect_bytes(data, options=FAST).models
    assert [(m.role, m.name, m.hash) for m in models] == [
        ("checkpoint", "Scenery XL", "blake3:abc123"),
        ("lora", "golden-hour", "blake3:def456"),
    ]


FOOOCUS = {
    "prompt": P,
    "negative_prompt": N,
    "full_prompt": [P, "cinematic light"],
    "styles": "[]",
    "resolution": "(1152, 896)",
    "guidance_scale": 4,
    "sharpness": 2,
    "base_model": "juggernautXL_v8Rundiffusion",
    "base_model_hash": "aeb7e9e689",
    "refiner_model": "None",
    "sampler": "dpmpp_2m_sde_gpu",
    "scheduler": "karras",
    "seed": "90817",
    "steps": 30,
    "loras": [["sd_xl_offset_example-lora_1.0.safetensors", 0.1, "4852686128"]],
    "version": "Fooocus v2.5.5",
}


def test_fooocus_png_and_jpeg() -> None:
    png = fx.png_with_text(
        image(), {"parameters": json.dumps(FOOOCUS), "fooocus_scheme": "fooocus"}
    )
    jpeg = fx.with_exif(image(), "JPEG", user_comment=json.dumps(FOOOCUS))
    for data in (png, jpeg):
        gen = only(inspect_bytes(data, options=FAST))
        assert gen["tool"] == "Fooocus" and gen["seed"] == 90817
        assert (gen["width"], gen["height"]) == (1152, 896)
        assert gen["model_hash"] == "aeb7e9e689"
        assert any(m["role"] == "lora" and m["hash"] == "4852686128" for m in gen["models"])  # type: ignore[attr-defined]


SWARM = {
    "sui_image_params": {
        "prompt": P,
        "negativeprompt": N,
        "model": "Scenery/scenery_xl",
        "seed": 5,
        "steps": 20,
        "cfgscale": 6.0,
        "width": 1024,
        "height": 768,
        "sampler": "euler",
        "loras": ["glow"],
        "loraweights": ["0.8"],
        "swarm_version": "0.9.4.0",
    },
    "sui_models": [{"name": "scenery_xl.safetensors", "param": "model", "hash": "0x1234abcd"}],
}


def test_swarmui_png_and_jpeg() -> None:
    for data in (
        fx.png_with_text(image(), {"parameters": json.dumps(SWARM)}),
        fx.with_exif(image(), "JPEG", user_comment=json.dumps(SWARM, indent=2)),
    ):
        gen = only(inspect_bytes(data, options=FAST))
        assert gen["tool"] == "SwarmUI" and gen["negative_prompt"] == N
        assert gen["model_hash"] == "0x1234abcd"
        assert {m["role"] for m in gen["models"]} == {"checkpoint", "lora"}  # type: ignore[attr-defined]


def test_easy_diffusion_png_text_and_jpeg_json() -> None:
    fields = {
        "prompt": P,
        "negative_prompt": N,
        "seed": "77",
        "num_inference_steps": "25",
        "guidance_scale": "7.5",
        "use_stable_diffusion_model": "sd-v1-5",
        "sampler_name": "euler_a",
        "width": "512",
        "height": "512",
    }
    for data in (
        fx.png_with_text(image(), fields),
        fx.with_exif(image(), "JPEG", user_comment=json.dumps(fields)),
    ):
        gen = only(inspect_bytes(data, options=FAST))
        assert (gen["tool"], gen["model"], gen["seed"], gen["steps"]) == (
            "Easy Diffusion",
            "sd-v1-5",
            77,
            25,
        )


def test_draw_things_xmp_user_comment() -> None:
    comment = json.dumps(
        {
            "c": P,
            "uc": N,
            "model": "sd_xl_base_1.0_f16.ckpt",
            "seed": 99,
            "steps": 25,
            "scale": 5,
            "sampler": "DPM++ 2M Karras",
            "size": "1024x1024",
        }
    )
    escaped = comment.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    packet = fx.xmp_packet(
        "<xmp:CreatorTool>Draw Things</xmp:CreatorTool>"
        f'<exif:UserComment><rdf:Alt><rdf:li xml:lang="x-default">{escaped}</rdf:li>'
        "</rdf:Alt></exif:UserComment>"
    )
    png = fx.png_with_text(image(), {"XML:com.adobe.xmp": packet}, itxt=True)
    gen = only(inspect_bytes(png, options=FAST))
    assert (gen["tool"], gen["model"], gen["seed"], gen["prompt"]) == (
        "Draw Things",
        "sd_xl_base_1.0_f16.ckpt",
        99,
        P,
    )


def test_midjourney_xmp_and_utf8_text_chunk() -> None:
    description = f"{P} ☀ --ar 3:2 --v 6.1 Job ID: 0b9d2f5c-8a0e-4f0e-9c61-3c2f1d2e4b5a"
    packet = fx.xmp_packet(
        f"<Iptc4xmpExt:DigitalSourceType>{fx.IPTC}trainedAlgorithmicMedia"
        "</Iptc4xmpExt:DigitalSourceType>"
        "<Iptc4xmpExt:DigImageGUID>0b9d2f5c-8a0e-4f0e-9c61-3c2f1d2e4b5a</Iptc4xmpExt:DigImageGUID>"
    )
    # Midjourney writes UTF-8 bytes into a Latin-1 tEXt chunk; build it the same way.
    latin1 = description.encode("utf-8").decode("latin-1")
    png = fx.png_with_text(image(), {"Description": latin1, "Author": "someone"})
    png = fx.png_with_text(
        Image.open(__import__("io").BytesIO(png)),
        {"Description": latin1, "XML:com.adobe.xmp": packet},
    )
    result = inspect_bytes(png, options=FAST)
    assert result.status == "declared-ai"
    sources = {(e.source, e.kind) for e in result.evidence}
    assert ("xmp", "ai-declaration") in sources
    gen = result.generators[0]
    assert gen.tool == "Midjourney" and gen.version == "6.1"
    assert gen.prompt is not None and "☀" in gen.prompt


def test_grok_exif_signature() -> None:
    import piexif

    sig = "Signature: " + "QUJD" * 30
    data = fx.with_exif(
        image(),
        "JPEG",
        ifd0={
            piexif.ImageIFD.ImageDescription: sig,
            piexif.ImageIFD.Artist: "3f2b9c1e-7a4d-4e8b-9f1a-2c3d4e5f6a7b",
        },
        user_comment=sig,
        comment_encoding="ascii",
    )
    gen = only(inspect_bytes(data, options=FAST))
    assert gen["tool"] == "Grok (xAI)"
    assert gen["parameters"]["signature_verified"] is False  # type: ignore[index]


def test_flux_reference_exif() -> None:
    import piexif

    data = fx.with_exif(
        image(),
        "JPEG",
        ifd0={
            piexif.ImageIFD.Software: "AI generated;txt2img;flux",
            piexif.ImageIFD.Make: "Black Forest Labs",
            piexif.ImageIFD.Model: "flux-schnell",
            piexif.ImageIFD.ImageDescription: P,
        },
    )
    result = inspect_bytes(data, options=FAST)
    gen = only(result)
    assert (gen["tool"], gen["model"], gen["prompt"]) == ("FLUX reference", "flux-schnell", P)
    assert not any(e.kind == "camera-metadata" for e in result.evidence)


def test_comfyui_prompt_only_graph_with_custom_nodes() -> None:
    graph = {
        "1": {"class_type": "UNETLoader", "inputs": {"unet_name": "flux1-dev.safetensors"}},
        "2": {
            "class_type": "LoraLoaderModelOnly",
            "inputs": {
                "lora_name": "golden_hour.safetensors",
                "strength_model": 0.8,
                "model": ["1", 0],
            },
        },
        "3": {"class_type": "CLIPTextEncode", "inputs": {"text": P, "clip": ["9", 0]}},
        "4": {
            "class_type": "SamplerCustomAdvanced",
            "inputs": {"noise": ["5", 0], "guider": ["6", 0]},
        },
        "5": {"class_type": "RandomNoise", "inputs": {"noise_seed": 31337}},
    }
    result = inspect_bytes(fx.png_with_text(image(), {"prompt": json.dumps(graph)}), options=FAST)
    gen = only(result)
    assert gen["tool"] == "ComfyUI" and gen["seed"] == 31337
    assert gen["model"] == "flux1-dev.safetensors"
    roles = {(m["role"], m["name"], m["weight"]) for m in gen["models"]}  # type: ignore[attr-defined]
    assert ("lora", "golden_hour.safetensors", 0.8) in roles
    assert [p.text for p in result.prompts] == [P]


def test_iptc_capture_declaration_is_camera_evidence_not_ai() -> None:
    packet = fx.xmp_packet(
        f"<Iptc4xmpExt:DigitalSourceType>{fx.IPTC}digitalCapture</Iptc4xmpExt:DigitalSourceType>"
    )
    result = inspect_bytes(fx.jpeg_with_xmp(image(), packet), options=FAST)
    assert result.status == "camera-evidence"


def test_iptc_2025_ai_system_field() -> None:
    packet = fx.xmp_packet("<Iptc4xmpExt:AISystemUsed>Scenery Model 3</Iptc4xmpExt:AISystemUsed>")
    result = inspect_bytes(fx.jpeg_with_xmp(image(), packet), options=FAST)
    assert result.status == "declared-ai"
    assert "Scenery Model 3" in result.evidence[0].detail
