"""Content signals on a video's key frames, stored under the image signal names."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tutela.engine.scan import scan
from tutela.store import open_store
from tutela.store.models import Signal
from tutela.testing.video import scene_frames, write_video


def test_video_gets_content_signals_from_its_key_frames(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_video(folder / "scenery.mp4", scene_frames([1, 2, 3], 1.0))
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    scan(store, [str(folder)], "content", workers=1)
    with store.session() as session:
        signals = dict(session.execute(select(Signal.name, Signal.data)).all())
    nudity = signals["nudity"]
    assert 0 <= nudity["score"] <= 1
    assert [f["timestamp"] for f in nudity["frames"]] == [0.0, 1.0, 2.0]
    assert nudity["score"] == max(f["score"] for f in nudity["frames"])
    faces = signals["faces"]
    assert faces["status"] == "unknown"  # landscapes: no face, so no age at all
    assert len(faces["frames"]) == 3
