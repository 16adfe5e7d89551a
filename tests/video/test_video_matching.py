"""Video matching against banks: listed videos by vPDQ, listed images inside frames, where.

Variants a re-upload produces (re-encoded, resized, trimmed) must match the listed
original; an unrelated video with the same layout and motion must not.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tutela.banks import service
from tutela.banks.formats import get_format
from tutela.banks.models import Entry, Match
from tutela.banks.records import EntryRecord
from tutela.engine.local import PipelineSpec
from tutela.engine.scan import scan
from tutela.signals.pdq import pdq_from_pixels
from tutela.store import open_store
from tutela.store.db import Store
from tutela.testing.synth import landscape
from tutela.testing.video import VideoSet, scene_frames, write_video
from tutela.video import vpdq
from tutela.video.analyse import analyse_file
from tutela.video.matching import VideoMatcher
from tutela.video.models import VideoBankRule, VideoMatch, VideoSignature


@pytest.fixture(scope="module")
def signatures(videos: VideoSet) -> dict[str, list[vpdq.FrameHash]]:
    return {
        name: analyse_file(str(getattr(videos, name))).frames
        for name in ("original", "reencoded", "resized", "trimmed", "unrelated")
    }


def bank_store(url: str, *banks: tuple[str, str]) -> Store:
    store = open_store(url)
    with store.transaction() as session:
        for name, kind in banks:
            service.create_bank(session, name, kind)
    return store


def list_video(store: Store, bank: str, frames: list[vpdq.FrameHash], key: str) -> None:
    record = EntryRecord("vpdq", vpdq.to_threatexchange(frames), {"case": key}, key)
    summary = service.import_records(store, bank, [record])
    assert summary.added == 1, summary.to_json()


@pytest.mark.parametrize("variant", ["original", "reencoded", "resized", "trimmed"])
def test_reuploaded_variants_match_the_listed_video(
    tmp_path: Path, signatures: dict[str, list[vpdq.FrameHash]], variant: str
) -> None:
    store = bank_store(f"sqlite:///{tmp_path / 'b.db'}", ("known", "positive"))
    list_video(store, "known", signatures["original"], "orig")
    matcher = VideoMatcher(store)
    assert matcher.refresh() == 1
    result = matcher.match(signatures[variant], variant)
    assert result.matched, result.to_json()
    (hit,) = result.hits
    assert hit.kind == "vpdq" and hit.query_share >= 0.8 and hit.distance <= 31
    if variant == "trimmed":  # seconds 2–5 of the original: found at its own 0–2 s
        assert hit.segments == [(0.0, 2.0)]
        assert [f.matched_timestamp for f in hit.frames] == [2.0, 3.0, 4.0]
        assert hit.target_share == pytest.approx(0.5)
    else:
        assert hit.segments == [(0.0, 5.0)]


def test_unrelated_video_does_not_match(
    tmp_path: Path, signatures: dict[str, list[vpdq.FrameHash]]
) -> None:
    store = bank_store(f"sqlite:///{tmp_path / 'b.db'}", ("known", "positive"))
    list_video(store, "known", signatures["original"], "orig")
    matcher = VideoMatcher(store)
    matcher.refresh()
    result = matcher.match(signatures["unrelated"], "unrelated")
    assert not result.matched and result.hits == []


def test_share_rule_is_configurable_per_bank(
    tmp_path: Path, signatures: dict[str, list[vpdq.FrameHash]]
) -> None:
    store = bank_store(f"sqlite:///{tmp_path / 'b.db'}", ("strict", "positive"))
    list_video(store, "strict", signatures["trimmed"], "clip")
    matcher = VideoMatcher(store)
    matcher.refresh()
    # The whole original against a listed 3-second clip: half its frames match.
    assert not matcher.match(signatures["original"]).matched
    with store.transaction() as session:
        bank_id = service.get_bank(session, "strict").id
        session.add(VideoBankRule(bank_id=bank_id, query_share=0.5, target_share=0.9))
    assert matcher.match(signatures["original"]).matched


def test_known_image_inside_a_video_is_found_with_its_time(tmp_path: Path) -> None:
    picture = landscape(12, 640, 480)
    known = pdq_from_pixels(np.asarray(picture))
    video = write_video(tmp_path / "slides.mp4", scene_frames([7, picture, 8], 2.0, disc=0.03))
    store = bank_store(f"sqlite:///{tmp_path / 'b.db'}", ("images", "positive"))
    service.import_records(store, "images", [EntryRecord("pdq", known.hex, {}, "img")])
    matcher = VideoMatcher(store)
    matcher.refresh()
    result = matcher.match(analyse_file(str(video)).frames, "slides")
    (hit,) = result.hits
    assert hit.kind == "frame" and hit.signal_type == "pdq" and hit.status == "match"
    assert hit.segments == [(2.0, 3.0)]
    assert all(f.matched_timestamp is None and f.distance <= 31 for f in hit.frames)


def test_shared_corpus_image_inside_a_video(tmp_path: Path, shared_data: Path) -> None:
    from PIL import Image

    from tutela.media.blob import Blob
    from tutela.media.image import pdq_pixels
    from tutela.media.limits import DEFAULT_LIMITS

    photos = sorted((shared_data / "images" / "real").glob("*.jp*g"))[:3]
    assert len(photos) == 3
    pictures = [Image.open(p).convert("RGB") for p in photos]
    video = write_video(
        tmp_path / "album.mp4", scene_frames(pictures, 2.0, size=(480, 320), disc=0.02)
    )
    store = bank_store(f"sqlite:///{tmp_path / 'b.db'}", ("photos", "positive"))
    pixels, _ = pdq_pixels(
        Blob.from_path(str(photos[1]), load_limit=10**9), "jpeg", "p", DEFAULT_LIMITS
    )
    service.import_records(store, "photos", [EntryRecord("pdq", pdq_from_pixels(pixels).hex)])
    matcher = VideoMatcher(store)
    matcher.refresh()
    result = matcher.match(analyse_file(str(video)).frames, "album")
    assert [h.segments for h in result.hits] == [[(2.0, 3.0)]]


def test_negative_bank_suppresses_a_known_benign_video(
    tmp_path: Path, signatures: dict[str, list[vpdq.FrameHash]]
) -> None:
    store = bank_store(
        f"sqlite:///{tmp_path / 'b.db'}", ("known", "positive"), ("benign", "negative")
    )
    list_video(store, "known", signatures["original"], "orig")
    list_video(store, "benign", signatures["reencoded"], "ad")
    matcher = VideoMatcher(store)
    matcher.refresh()
    result = matcher.match(signatures["resized"])
    assert not result.matched
    assert {h.status for h in result.hits if h.bank == "known"} == {"suppressed"}
    assert "negative bank" in result.notes[0]


def test_long_signatures_are_stored_once_and_export_unchanged(store_url: str) -> None:
    rng = np.random.default_rng(5)
    frames = [
        vpdq.FrameHash(float(t), bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex(), 90)
        for t in range(900)  # 15 minutes at 1 frame/s: ~70 kB, far beyond an index row
    ]
    store = bank_store(store_url, ("long", "positive"), ("other", "positive"))
    list_video(store, "long", frames, "film")
    list_video(store, "other", frames, "film")
    with store.session() as session:
        (value,) = set(session.scalars(select(Entry.value).where(Entry.signal_type == "vpdq")))
        assert len(value) == 64
        stored = session.scalars(select(VideoSignature)).all()
        assert [s.frame_count for s in stored] == [900]
    out = io.StringIO()
    with store.session() as session:
        get_format("csv").write(lambda: service.iter_records(session, "long"), out)
    assert vpdq.to_threatexchange(frames).replace('"', '""') in out.getvalue()


def test_scan_stage_records_video_matches_and_where(
    tmp_path: Path, videos: VideoSet, signatures: dict[str, list[vpdq.FrameHash]], store_url: str
) -> None:
    store = bank_store(store_url, ("known", "positive"))
    list_video(store, "known", signatures["original"], "orig")
    folder = tmp_path / "upload"
    folder.mkdir()
    for name in ("trimmed", "unrelated", "resized"):
        path = getattr(videos, name)
        shutil.copy(path, folder / path.name)
    spec = PipelineSpec(only_signals=frozenset({"video", "vpdq"}))
    summary = scan(store, [str(folder)], "uploads", spec, workers=1)
    video_stage = summary.stages["video_match"]
    assert video_stage["videos_checked"] == 3
    assert video_stage["vpdq_matches"] == 2
    with store.session() as session:
        vias = sorted(session.scalars(select(Match.via)))
        assert vias == ["video: 100% of frames match", "video: 100% of frames match"]
        segments = sorted(
            tuple(map(tuple, d)) for d in session.scalars(select(VideoMatch.segments))
        )
        assert segments == [((0.0, 2.0),), ((0.0, 5.0),)]
    again = scan(store, [str(folder)], "uploads", spec, workers=1)
    assert again.stages["video_match"]["videos_checked"] == 0
    with store.session() as session:
        assert len(session.scalars(select(Match)).all()) == 2


def test_cli_bank_add_scan_and_where_videos_matched(videos: VideoSet, tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    db = str(tmp_path / "cli.db")

    def tutela(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tutela", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "COLUMNS": "250"},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    tutela("bank", "create", "known", "--db", db)
    tutela("bank", "add", "known", str(videos.original), "--db", db)
    store = open_store(f"sqlite:///{db}")
    with store.session() as session:
        types = sorted(session.scalars(select(Entry.signal_type)))
    assert types == ["md5", "sha1", "sha256", "video_md5", "vpdq"]
    folder = tmp_path / "seized"
    folder.mkdir()
    shutil.copy(videos.trimmed, folder / "clip.avi")
    shutil.copy(videos.original, folder / "same.mp4")
    spec = PipelineSpec(only_signals=frozenset({"video", "vpdq"}))  # other signals: other tests
    scan(store, [str(folder)], "seized", spec, workers=1)
    rows = [
        json.loads(line) for line in tutela("video", "matches", "--db", db, "--json").splitlines()
    ]
    clip = [r for r in rows if r["paths"][0].endswith("clip.avi")]
    assert [(r["kind"], r["segments"]) for r in clip] == [("vpdq", [{"start": 0.0, "end": 2.0}])]
    assert {r["kind"] for r in rows if r["paths"][0].endswith("same.mp4")} == {"vpdq"}
    table = tutela("video", "matches", "--db", db, "--case", "seized")
    assert "clip.avi" in table and "never verdicts" not in table  # the notice goes to stderr
    tutela("video", "rule", "known", "--query-share", "0.5", "--target-share", "0.9", "--db", db)
    with store.session() as session:
        (rule,) = session.scalars(select(VideoBankRule)).all()
    assert (rule.query_share, rule.target_share) == (0.5, 0.9)
    scan(store, [str(folder)], "seized", spec, workers=1)
    rows = [
        json.loads(line) for line in tutela("video", "matches", "--db", db, "--json").splitlines()
    ]
    assert [r["paths"][0].rsplit("/", 1)[-1] for r in rows] == ["same.mp4"], "the clip is 50 %"


def test_tutela_match_on_video_files(videos: VideoSet, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    db = str(tmp_path / "m.db")
    store = bank_store(f"sqlite:///{db}", ("known", "positive"))
    list_video(store, "known", analyse_file(str(videos.original)).frames, "orig")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutela",
            "match",
            str(videos.trimmed),
            str(videos.unrelated),
            "--db",
            db,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    clip, other = (json.loads(line) for line in done.stdout.splitlines())
    assert clip["matched"] and not other["matched"]
    (hit,) = clip["video"]["matches"]
    assert hit["kind"] == "vpdq" and hit["segments"] == [{"start": 0.0, "end": 2.0}]
    assert any(s["signal_type"] == "vpdq" for s in clip["signals"])
