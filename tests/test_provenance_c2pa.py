"""C2PA through c2pa-python with manifests signed at test time by a throwaway chain:
active and ingredient-only AI declarations, algorithmicMedia, tampering, expiry, trust."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutela.provenance import InspectOptions, ProvenanceResult, inspect_bytes
from tutela.provenance.trust import c2pa_trust_settings, load_lists, refresh
from tutela.testing import provenance as fx
from tutela.testing.synth import encode, landscape

FAST = InspectOptions(watermark=False)


@pytest.fixture(scope="module")
def chain() -> fx.SigningChain:
    return fx.signing_chain()


def jpeg(seed: int = 1) -> bytes:
    return encode(landscape(seed, 320, 240))


def ai_declarations(result: ProvenanceResult) -> list[dict[str, object]]:
    return [e.data for e in result.evidence if e.source == "c2pa" and e.kind == "ai-declaration"]


def test_self_signed_ai_declaration_is_a_claim_not_trusted(chain: fx.SigningChain) -> None:
    signed = fx.sign_c2pa(jpeg(), "image/jpeg", chain, fx.manifest())
    result = inspect_bytes(signed, options=FAST)
    assert result.status == "declared-ai"
    (claim,) = ai_declarations(result)
    assert claim["trust"] == "untrusted" and claim["validation"] == "valid"
    assert claim["software_agent"] == "Test Generator 1.0"
    assert "tutela test signer" in str(claim["signer"])
    assert result.confidence == pytest.approx(0.9)
    assert result.c2pa is not None and result.c2pa["validation_state"] == "Valid"


def test_trusted_when_the_root_is_an_anchor(chain: fx.SigningChain) -> None:
    signed = fx.sign_c2pa(jpeg(), "image/jpeg", chain, fx.manifest())
    trust = c2pa_trust_settings()
    trust["trust_anchors"] += "\n" + chain.root_pem
    result = inspect_bytes(signed, options=InspectOptions(watermark=False, trust=trust))
    (claim,) = ai_declarations(result)
    assert claim["trust"] == "trusted"
    assert result.confidence == pytest.approx(0.99)
    assert result.c2pa is not None and result.c2pa["validation_state"] == "Trusted"


def test_ai_declaration_only_in_an_ingredient(chain: fx.SigningChain) -> None:
    generated = fx.sign_c2pa(jpeg(1), "image/jpeg", chain, fx.manifest())
    edited = fx.sign_c2pa(
        jpeg(2),
        "image/jpeg",
        chain,
        fx.manifest(
            action="c2pa.opened",
            source_type=None,
            agent="Test Editor",
            ingredient_id="ingredient-1",
        ),
        ingredient=(generated, "image/jpeg"),
    )
    result = inspect_bytes(edited, options=FAST)
    assert result.status == "declared-ai"
    (claim,) = ai_declarations(result)
    assert claim["role"] == "ingredient"
    assert claim["trust"] != "trusted"  # self-signed: never verified
    assert result.confidence == pytest.approx(0.9)
    roles = {m["role"] for m in result.c2pa["manifests"]}  # type: ignore[index]
    assert roles == {"active", "ingredient"}


@pytest.mark.parametrize(
    ("term", "status"),
    [
        ("algorithmicMedia", "no-evidence"),
        ("compositeWithTrainedAlgorithmicMedia", "declared-ai"),
        ("digitalCapture", "camera-evidence"),
        ("compositeSynthetic", "likely-ai"),
    ],
)
def test_digital_source_types(chain: fx.SigningChain, term: str, status: str) -> None:
    signed = fx.sign_c2pa(jpeg(), "image/jpeg", chain, fx.manifest(source_type=term))
    assert inspect_bytes(signed, options=FAST).status == status


def test_png_manifest(chain: fx.SigningChain) -> None:
    png = fx.sign_c2pa(encode(landscape(3, 320, 240), "PNG"), "image/png", chain, fx.manifest())
    assert b"caBX" in png
    assert inspect_bytes(png, options=FAST).status == "declared-ai"


def test_tampered_pixels_keep_the_claim_with_lower_strength(chain: fx.SigningChain) -> None:
    signed = bytearray(fx.sign_c2pa(jpeg(), "image/jpeg", chain, fx.manifest()))
    signed[-200] ^= 0xFF
    result = inspect_bytes(bytes(signed), options=FAST)
    assert result.status == "declared-ai"
    (claim,) = ai_declarations(result)
    assert claim["validation"] == "invalid"
    assert "assertion.dataHash.mismatch" in claim["failures"]  # type: ignore[operator]
    assert result.confidence == pytest.approx(0.85)


def test_expired_certificate_does_not_erase_the_claim() -> None:
    short = fx.signing_chain(valid_for=dt.timedelta(seconds=1))
    signed = fx.sign_c2pa(jpeg(), "image/jpeg", short, fx.manifest())
    time.sleep(3)
    result = inspect_bytes(signed, options=FAST)
    assert result.status == "declared-ai"
    (claim,) = ai_declarations(result)
    assert "signingCredential.expired" in claim["failures"]  # type: ignore[operator]


def test_damaged_manifest_is_an_error_entry_not_a_crash(chain: fx.SigningChain) -> None:
    signed = bytearray(fx.sign_c2pa(jpeg(), "image/jpeg", chain, fx.manifest()))
    start = signed.find(b"jumb")
    signed[start + 40 : start + 400] = b"\x00" * 360
    result = inspect_bytes(bytes(signed), options=FAST)
    assert result.errors or result.c2pa is not None


def test_real_c2pa_rs_files_are_not_ai(shared_data: Path) -> None:
    real = shared_data / "images" / "real"
    for name in (
        "real-c2pa-rs-ca.jpg",
        "real-c2pa-rs-verify.jpg",
        "real-c2pa-rs-ocsp-with-assertion.jpg",
    ):
        result = inspect_bytes((real / name).read_bytes(), options=FAST)
        assert result.c2pa is not None and result.c2pa["manifests"], name
        assert result.status != "declared-ai", name
    verify = inspect_bytes((real / "real-c2pa-rs-verify.jpg").read_bytes(), options=FAST)
    # Adobe's 2022 certificate chains to the CAI interim list shipped with tutela.
    assert verify.c2pa is not None and verify.c2pa["validation_state"] == "Trusted"
    assert {m["trust"] for m in verify.c2pa["manifests"]} == {"trusted"}
    assert {m["role"] for m in verify.c2pa["manifests"]} == {"active", "ingredient"}
    ca = inspect_bytes((real / "real-c2pa-rs-ca.jpg").read_bytes(), options=FAST)
    assert any(e.kind == "non-ai-declaration" for e in ca.evidence) or ca.c2pa is not None


def test_trust_lists_ship_with_dates() -> None:
    lists = {item.name: item for item in load_lists()}
    assert lists["c2pa-official"].entries == 28 and lists["cai-interim"].entries == 27
    assert all(item.fetched == "2026-07-10" and item.origin == "bundled" for item in lists.values())


def test_trust_refresh_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chain: fx.SigningChain
) -> None:
    monkeypatch.setenv("TUTELA_TRUST_DIR", str(tmp_path / "trust"))
    pem = tmp_path / "new.pem"
    pem.write_text(chain.root_pem)
    item = refresh("c2pa-official", pem, fetched="2027-01-02")
    assert item.entries == 1 and item.fetched == "2027-01-02"
    assert item.origin == str(tmp_path / "trust")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    from tutela.provenance.trust import TrustListError

    with pytest.raises(TrustListError):
        refresh("cai-interim", bad)
    with pytest.raises(TrustListError):
        refresh("nonexistent", pem)
    # The refreshed list is what C2PA validation now uses.
    signed = fx.sign_c2pa(jpeg(), "image/jpeg", chain, fx.manifest())
    result = inspect_bytes(
        signed, options=InspectOptions(watermark=False, trust=c2pa_trust_settings())
    )
    assert ai_declarations(result)[0]["trust"] == "trusted"


def test_trust_cli(tmp_path: Path) -> None:
    env = {"TUTELA_TRUST_DIR": str(tmp_path / "t"), "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    shown = subprocess.run(
        [sys.executable, "-m", "tutela", "trust", "show", "--json"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    assert {r["name"] for r in rows} >= {"c2pa-official", "cai-interim"}
    assert all(isinstance(r["age_days"], int) for r in rows)
    bad = tmp_path / "bad.txt"
    bad.write_text("nope")
    failed = subprocess.run(
        [sys.executable, "-m", "tutela", "trust", "refresh", "cai-eku", str(bad)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert failed.returncode == 2 and "OID" in failed.stderr
