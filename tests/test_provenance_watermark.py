"""The dwtDct watermark: byte-identical to imwatermark, every payload and variant decodes,
inversion is reported, JPEG/resize erase it, flat images are undecidable, and the
false-alarm probability holds on real photos."""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tutela.provenance import inspect_bytes
from tutela.provenance import watermark as wm
from tutela.provenance.inspect import InspectOptions
from tutela.testing.synth import encode, landscape

# sha256[:16] of imwatermark 0.2.0 EmbedMaxDct.encode() on MUTED(landscape(4, 512, 384)), per
# payload and input variant, computed once with the real package (it imports torch, so it is
# not a test dependency). If these change, tutela's embedding no longer matches the pipelines.
IMWATERMARK_DIGESTS = {
    "sd1/uint8-bgr": "6e07f9672ee06653",
    "sd1/uint8-rgb": "cef311a306e816ec",
    "sd1/float32-bgr": "0ed970f37ecc2334",
    "sd1/float32-rgb": "d9abca229a1c652f",
    "sd2/uint8-bgr": "56d83d30264b8523",
    "sd2/uint8-rgb": "5e3c9f8ba7b2e2bd",
    "sd2/float32-bgr": "2a0247989c8c2184",
    "sd2/float32-rgb": "628bbb3632a62b91",
    "sdxl/uint8-bgr": "d9346c34307fda57",
    "sdxl/uint8-rgb": "f4fe5db18ba5bad1",
    "sdxl/float32-bgr": "823f3a258feaa217",
    "sdxl/float32-rgb": "7cf18edbc20da3df",
    "flux/uint8-bgr": "8682a1bd30b23943",
    "flux/uint8-rgb": "544a6eddcc3e0af3",
    "flux/float32-bgr": "3ee42334ff74e5c1",
    "flux/float32-rgb": "30e62e860dcae883",
}
PAYLOADS = {p.name: p for p in wm.PAYLOADS}


def muted(seed: int, width: int = 512, height: int = 384) -> np.ndarray:
    """Mid-tone scenery: chroma away from saturation, where every variant holds the mark."""
    arr = np.asarray(landscape(seed, width, height)).astype(float)
    return (arr * 0.55 + 55).astype(np.uint8)


def warm(seed: int) -> np.ndarray:
    """Warm (yellow-shifted) scenery: U is negative in float YUV almost everywhere."""
    arr = np.asarray(landscape(seed, 512, 384)).astype(float) * 0.55 + 55
    arr[..., 2] *= 0.6
    return arr.astype(np.uint8)


@pytest.mark.parametrize("key", sorted(IMWATERMARK_DIGESTS))
def test_embedding_is_byte_identical_to_imwatermark(key: str) -> None:
    name, variant = key.split("/")
    arr = wm._input(muted(4), variant)  # type: ignore[arg-type]
    raw = wm.encode_array(arr, PAYLOADS[name])
    assert (
        hashlib.sha256(np.ascontiguousarray(raw).tobytes()).hexdigest()[:16]
        == (IMWATERMARK_DIGESTS[key])
    )


def test_payload_bits_match_the_pipelines() -> None:
    assert PAYLOADS["sd1"].length == 136 and PAYLOADS["sd2"].length == 32
    assert PAYLOADS["sdxl"].length == 48 and PAYLOADS["flux"].length == 46
    assert "".join(map(str, PAYLOADS["sdxl"].bits)) == bin(0xB3EC907BB19E)[2:]


@pytest.mark.parametrize("name", ["sd1", "sd2", "sdxl", "flux"])
@pytest.mark.parametrize("variant", wm.VARIANTS)
def test_each_payload_and_variant_is_detected(name: str, variant: wm.Variant) -> None:
    marked = wm.embed(muted(4), PAYLOADS[name], variant)
    found = {m.payload: m for m in wm.decode(marked).matches}
    assert found[name].detected, found[name].to_json()
    assert found[name].false_alarm_probability <= wm.DETECT_FAP
    others = [m for n, m in found.items() if n != name and m.detected]
    assert not others


def test_float_embedding_read_as_uint8_is_inverted_and_still_reported() -> None:
    # Stability's sgm marks float32 BGR; Stability's own detect.py reads uint8 BGR and
    # then sees mostly inverted bits ("no watermark"). tutela reports the strongest reading.
    marked = wm.embed(warm(4), PAYLOADS["sdxl"], "float32-bgr")
    scores, _ = wm.block_scores(marked, "uint8-bgr")
    bits = wm.bits_from_scores(scores, 48)
    agree = int((bits == np.array(PAYLOADS["sdxl"].bits)).sum())
    assert agree < 24, "uint8 decode of a float embedding should be mostly inverted here"
    match = next(m for m in wm.decode(marked).matches if m.payload == "sdxl")
    assert match.detected and match.variant == "float32-bgr"
    uint8_only = next(
        m for m in wm.decode(marked, variants=("uint8-bgr",)).matches if m.payload == "sdxl"
    )
    assert uint8_only.detected and uint8_only.inverted


def test_jpeg_and_resize_erase_it_and_that_is_not_evidence_of_anything() -> None:
    marked = wm.embed(muted(4, 1024, 768), PAYLOADS["sdxl"], "uint8-bgr")
    jpeg = np.asarray(Image.open(io.BytesIO(encode(Image.fromarray(marked), quality=75))))
    half = np.asarray(Image.fromarray(marked).resize((512, 384), Image.Resampling.BICUBIC))
    for attacked in (jpeg, half):
        match = next(m for m in wm.decode(attacked).matches if m.payload == "sdxl")
        assert not match.detected


def test_flat_chroma_is_undecidable() -> None:
    grey = np.full((512, 512, 3), 128, dtype=np.uint8)
    grey[:, :256] = 60
    report = wm.decode(grey)
    assert report.state == "undecidable" and report.matches == []


def test_small_images_are_not_applicable() -> None:
    assert wm.decode(muted(1, 200, 200)).state == "not-applicable"
    with pytest.raises(ValueError):
        wm.embed(muted(1, 200, 200), PAYLOADS["sd2"])


def test_false_alarm_is_an_exact_binomial_tail_with_bonferroni() -> None:
    p, adjusted = wm.false_alarm(48, 48)
    assert p == pytest.approx(2 / 2**48)
    assert adjusted == pytest.approx(p * wm.TESTS_PER_DECODE)
    p, _ = wm.false_alarm(0, 48)  # fully inverted counts the same
    assert p == pytest.approx(2 / 2**48)
    p, _ = wm.false_alarm(36, 48)
    expected = 2 * sum(math.comb(48, i) for i in range(36, 49)) / 2**48
    assert p == pytest.approx(expected)
    assert wm.false_alarm(24, 48)[1] == 1.0


def test_tutela_payload_round_trips_with_operator_number() -> None:
    payload = wm.tutela_payload(operator=513)
    marked = wm.embed(muted(4, 768, 512), payload, faithful=False)
    match = next(m for m in wm.decode(marked).matches if m.payload == "tutela")
    assert match.detected
    assert match.to_json()["operator"] == 513
    # A misread operator bit fails the CRC instead of naming the wrong operator.
    assert (
        wm.operator_of(
            "1" + match.data_bits[1:] if match.data_bits[0] == "0" else "0" + match.data_bits[1:]
        )
        is None
    )  # type: ignore[index]
    result = inspect_bytes(encode(Image.fromarray(marked), "PNG"))
    assert result.status == "likely-ai"
    assert any(e.source == "watermark" and e.data["payload"] == "tutela" for e in result.evidence)


def test_files_no_pipeline_wrote_are_not_decoded() -> None:
    marked = Image.fromarray(wm.embed(muted(4), PAYLOADS["sdxl"], "uint8-bgr"))
    q95 = inspect_bytes(encode(marked, quality=95, subsampling=0)).watermarks[0]
    assert q95["state"] == "decoded"
    q75 = inspect_bytes(encode(marked, quality=75)).watermarks[0]
    assert q75["state"] == "not-applicable" and "quality 75" in q75["reason"]


def test_watermark_alone_is_likely_ai_never_declared() -> None:
    marked = wm.embed(muted(4), PAYLOADS["sdxl"], "float32-rgb")
    result = inspect_bytes(encode(Image.fromarray(marked), "PNG"))
    assert result.status == "likely-ai"
    assert result.watermarks[0]["state"] == "decoded"
    off = inspect_bytes(
        encode(Image.fromarray(marked), "PNG"), options=InspectOptions(watermark=False)
    )
    assert off.status == "no-evidence" and off.watermarks == []


@pytest.mark.slow
def test_no_false_alarm_on_real_photos(shared_data: Path) -> None:
    """Empirical check of the calibration: unmarked camera photos never reach the threshold."""
    decoded = 0
    smallest = 1.0
    for path in sorted((shared_data / "images" / "real").iterdir()):
        try:
            with Image.open(path) as im:
                if im.size[0] * im.size[1] > 2_000_000:  # keeps the test under ~20 s
                    continue
                rgb = np.asarray(im.convert("RGB"))
        except OSError:
            continue
        report = wm.decode(rgb)
        for match in report.matches:
            assert not match.detected, (path.name, match.to_json())
            smallest = min(smallest, match.false_alarm_probability)
        decoded += report.state == "decoded"
    assert decoded >= 30
    assert smallest > wm.DETECT_FAP
