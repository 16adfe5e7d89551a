"""``tutela inspect`` output, and the provenance signal from ``tutela scan`` to ``tutela items``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tutela.engine.scan import scan
from tutela.provenance import watermark as wm
from tutela.provenance.queries import iter_items_with_status, status_counts, sync_status
from tutela.store import open_store
from tutela.testing import provenance as fx
from tutela.testing.synth import encode, landscape

A1111 = (
    f"{fx.BENIGN_PROMPT}\nNegative prompt: {fx.BENIGN_NEGATIVE}\nSteps: 20, Sampler: Euler a, "
    "CFG scale: 7, Seed: 11, Size: 640x480, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly"
)


def folder(tmp_path: Path) -> Path:
    import piexif

    root = tmp_path / "case"
    root.mkdir()
    (root / "a1111.png").write_bytes(fx.png_with_text(landscape(1), {"parameters": A1111}))
    (root / "camera.jpg").write_bytes(
        fx.with_exif(
            landscape(2),
            "JPEG",
            ifd0={piexif.ImageIFD.Make: "Canon", piexif.ImageIFD.Model: "EOS 600D"},
        )
    )
    (root / "plain.png").write_bytes(encode(landscape(3), "PNG"))
    marked = wm.embed(
        (np.asarray(landscape(4, 512, 384)).astype(float) * 0.55 + 55).astype(np.uint8),
        wm.PAYLOADS[2],
    )
    (root / "marked.png").write_bytes(encode(Image.fromarray(marked), "PNG"))
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    return root


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutela", *args], capture_output=True, text=True)


def test_inspect_json_and_human(tmp_path: Path) -> None:
    root = folder(tmp_path)
    done = run("inspect", str(root), "--json")
    assert done.returncode == 0, done.stderr
    rows = {Path(r["path"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    assert rows["a1111.png"]["status"] == "declared-ai"
    assert rows["a1111.png"]["generators"][0]["seed"] == 11
    assert rows["a1111.png"]["models"][0]["hash"] == "6ce0161689"
    assert rows["camera.jpg"]["status"] == "camera-evidence"
    assert rows["plain.png"]["status"] == "no-evidence"
    assert rows["marked.png"]["status"] == "likely-ai"
    assert rows["broken.png"]["errors"] and rows["broken.png"]["status"] == "no-evidence"
    for row in rows.values():
        assert "never a verdict" in row["notice"]
        for e in row["evidence"]:
            assert set(e) >= {"source", "kind", "detail", "strength", "where", "weight"}
    human = run("inspect", str(root / "a1111.png"), "--no-watermark")
    assert "declared-ai" in human.stdout and "AUTOMATIC1111" in human.stdout
    assert fx.BENIGN_PROMPT[:20] in human.stdout
    missing = run("inspect", str(root / "nope.png"))
    assert missing.returncode == 2


def test_prompt_text_is_not_interpreted_as_markup(tmp_path: Path) -> None:
    text = "[bold red]a meadow[/bold red] [link=x]river[/link]\nSteps: 5, Seed: 1, Sampler: Euler"
    path = tmp_path / "m.png"
    path.write_bytes(fx.png_with_text(landscape(1), {"parameters": text}))
    done = run("inspect", str(path), "--no-watermark")
    assert "[bold red]a meadow[/bold red]" in done.stdout.replace("\n", " ").replace("│", "")


def test_scan_stores_status_and_items_filters_and_sorts(store_url: str, tmp_path: Path) -> None:
    root = folder(tmp_path)
    store = open_store(store_url)
    summary = scan(store, [str(root)], "c1", workers=1)
    # The provenance stage ran during the scan; broken.png is an item with an error, no signals.
    assert summary.stages["provenance"]["synced"] == 4
    with store.transaction() as session:
        assert sync_status(session) == 0  # idempotent
        counts = status_counts(session, "c1")
    assert counts == {"declared-ai": 1, "camera-evidence": 1, "no-evidence": 1, "likely-ai": 1}
    with store.session() as session:
        ordered = [s for _, _, s in iter_items_with_status(session, "c1", sort="synthetic-status")]
        assert [s[0] if s else None for s in ordered] == [
            "declared-ai",
            "likely-ai",
            "camera-evidence",
            "no-evidence",
            None,
        ]
        only = list(iter_items_with_status(session, "c1", ["camera-evidence"]))
        assert [paths[0].endswith("camera.jpg") for _, paths, _ in only] == [True]
    done = run(
        "items",
        "--db",
        store_url,
        "--case",
        "c1",
        "--json",
        "--synthetic-status",
        "declared-ai",
        "--synthetic-status",
        "likely-ai",
        "--sort",
        "confidence",
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["synthetic_status"]["status"] for r in rows] == ["declared-ai", "likely-ai"]
    assert rows[0]["paths"][0].endswith("a1111.png") and "sha256" in rows[0]
    bad = run("items", "--db", store_url, "--synthetic-status", "real")
    assert bad.returncode == 2 and "unknown synthetic status" in bad.stderr


def test_watermark_can_be_turned_off_for_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    from tutela.provenance.analyzer import signal_version

    assert not signal_version().endswith("-nowm")
    monkeypatch.setenv("TUTELA_WATERMARK", "off")
    assert signal_version().endswith("-nowm")


def test_post_scan_stage_fills_the_status_table(tmp_path: Path) -> None:
    from tutela.engine.scan import stages
    from tutela.store.queries import case_id

    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    scanned = scan(store, [str(folder(tmp_path))], "c2", workers=1)
    summary = scanned.stages["provenance"]
    assert summary["synced"] == 4 and summary["synthetic_status"]["declared-ai"] == 1
    (stage,) = [s for s in stages() if s.name == "provenance"]
    with store.session() as session:
        cid = case_id(session, "c2")
    again = stage.run(store, cid)
    assert again["synced"] == 0 and again["synthetic_status"]["declared-ai"] == 1


def test_hash_command_computes_no_signals(tmp_path: Path) -> None:
    # ``only_signals=frozenset()`` means "none": provenance must not run in ``tutela hash``.
    path = tmp_path / "a.png"
    path.write_bytes(fx.png_with_text(landscape(1), {"parameters": A1111}))
    done = run("hash", str(path), "--json")
    row = json.loads(done.stdout)
    assert row["sha256"] and "provenance" not in row
