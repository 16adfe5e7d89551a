"""``tutela scan`` and ``tutela hash`` on folders holding videos, good and bad."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from tutela.engine.local import PipelineSpec
from tutela.engine.scan import scan
from tutela.store import open_store
from tutela.store.models import Item, ScanError, Signal
from tutela.testing.video import VideoSet, animated_image
from tutela.video.settings import VideoSettings

VIDEO_SIGNALS = frozenset({"video", "vpdq"})


@pytest.fixture
def folder(videos: VideoSet, tmp_path: Path) -> Path:
    root = tmp_path / "drive"
    root.mkdir()
    shutil.copy(videos.original, root / "holiday.mp4")
    shutil.copy(videos.trimmed, root / "clip.avi")
    animated_image(root / "loop.gif", [1, 2], [500, 1500], (80, 60))
    data = videos.original.read_bytes()
    (root / "cut.mp4").write_bytes(data[: len(data) // 2])
    (root / "empty.mp4").write_bytes(b"")
    with zipfile.ZipFile(root / "upload.zip", "w") as zf:
        zf.write(videos.reencoded, "inner/reencoded.webm")
    return root


def by_name(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {Path(str(r["path"])).name: r for r in rows}


def test_hash_json_records_every_video_fact(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutela", "hash", "--json", "--video-fps", "2", str(folder)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = by_name([json.loads(line) for line in done.stdout.splitlines()])
    movie = rows["holiday.mp4"]
    assert movie["kind"] == "video" and movie["format"] == "mp4"
    assert (movie["width"], movie["height"]) == (320, 240)
    assert len(str(movie["md5"])) == 32 and len(str(movie["sha256"])) == 64
    video = movie["video"]
    assert isinstance(video, dict)
    assert video["codec"] == "h264" and video["duration"] == 6.0 and video["fps"] == 10.0
    vpdq = movie["vpdq"]
    assert isinstance(vpdq, dict) and vpdq["fps"] == 2.0 and vpdq["complete"] is True
    assert [f["timestamp"] for f in vpdq["frames"]] == [k / 2 for k in range(12)]
    assert set(vpdq["frames"][0]) == {"timestamp", "pdq", "quality"}

    gif = rows["loop.gif"]
    assert gif["kind"] == "image" and gif["pdq"], "an animated GIF keeps its image PDQ"
    assert [f["timestamp"] for f in gif["vpdq"]["frames"]] == [0.0, 0.5]  # type: ignore[index]

    assert rows["cut.mp4"]["error"]["kind"] == "truncated"  # type: ignore[index]
    assert rows["empty.mp4"]["error"]["kind"] == "empty-file"  # type: ignore[index]
    inner = rows["reencoded.webm"]
    assert inner["vpdq"]["frames"] and inner["video"]["codec"] == "vp9"  # type: ignore[index]


def test_hash_table_describes_videos(folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutela", "hash", str(folder / "holiday.mp4")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"COLUMNS": "200", **__import__("os").environ},
    )
    assert "h264 320x240, 6.0 s at 10 fps, vPDQ 6 frames" in done.stdout


def test_scan_stores_videos_and_their_errors(folder: Path, store_url: str) -> None:
    store = open_store(store_url)
    # Only the video signals: other features' analysers have their own tests.
    spec = PipelineSpec(only_signals=VIDEO_SIGNALS, extra=VideoSettings(timeout=60).to_options())
    summary = scan(store, [str(folder)], "drive", spec, workers=2)
    assert summary.errors == {"empty-file": 1, "truncated": 1}
    with store.session() as session:
        items = {i.sha256: i for i in session.scalars(select(Item))}
        videos = [i for i in items.values() if i.kind == "video" and i.error_kind is None]
        assert {(i.format, i.width, i.height) for i in videos} == {
            ("mp4", 320, 240),
            ("avi", 320, 240),
            ("webm", 320, 240),
        }
        signals = session.execute(select(Signal.item_sha256, Signal.name, Signal.data)).all()
        names = {(items[sha].format, name) for sha, name, _ in signals}
        assert {("mp4", "vpdq"), ("mp4", "video"), ("gif", "vpdq"), ("webm", "vpdq")} <= names
        movie = next(
            data for sha, name, data in signals if name == "vpdq" and items[sha].format == "mp4"
        )
        assert len(movie["frames"]) == 6
        truncated = [i for i in items.values() if i.error_kind == "truncated"]
        assert "moov" in (truncated[0].error_message or "")
        assert session.scalar(select(ScanError).where(ScanError.kind.like("video%"))) is None
    again = scan(store, [str(folder)], "drive", spec, workers=1)
    assert again.processed == 0 and again.items == summary.items


def test_time_limit_hit_in_a_scan_is_a_warning_with_a_partial_signature(
    videos: VideoSet, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    spec = PipelineSpec(only_signals=VIDEO_SIGNALS, extra=VideoSettings(max_frames=16).to_options())
    summary = scan(store, [str(videos.original)], "limits", spec, workers=1)
    assert summary.warnings == {"video-limit": 1}
    assert summary.errors == {}
    with store.session() as session:
        data = session.scalar(select(Signal.data).where(Signal.name == "vpdq"))
    assert data is not None and data["complete"] is False
    assert [f["timestamp"] for f in data["frames"]] == [0.0, 1.0]


def test_video_files_are_streamed_not_loaded(videos: VideoSet) -> None:
    from tutela.engine.pipeline import Pipeline
    from tutela.signals.registry import Analyzer

    seen = []
    probe = Analyzer(
        "probe", "1", frozenset({"video", "image"}), lambda ctx: seen.append(ctx.blob) or {}, ""
    )
    (result,) = Pipeline(analyzers=[probe]).process_file(str(videos.original))
    assert result.item is not None and result.item.kind == "video"
    (blob,) = seen
    assert blob.data is None and blob.path == str(videos.original)
