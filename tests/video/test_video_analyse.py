"""Recognising, probing and hashing real video files of every supported container."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.media.blob import Blob
from tutela.testing.video import VideoSet, animated_image, scene_frames, write_video
from tutela.video.analyse import analyse_file, analyse_video
from tutela.video.settings import VideoSettings


@pytest.mark.parametrize(
    ("name", "container", "codec", "size", "duration"),
    [
        ("original", "mp4", "h264", (320, 240), 6.0),
        ("reencoded", "webm", "vp9", (320, 240), 6.0),
        ("resized", "mov", "h264", (160, 120), 6.0),
        ("trimmed", "avi", "mpeg4", (320, 240), 3.0),
    ],
)
def test_containers_are_probed_and_hashed(
    videos: VideoSet,
    name: str,
    container: str,
    codec: str,
    size: tuple[int, int],
    duration: float,
) -> None:
    result = analyse_file(str(getattr(videos, name)))
    assert (result.info.container, result.info.codec) == (container, codec)
    assert (result.info.width, result.info.height) == size
    assert result.info.duration == pytest.approx(duration, abs=0.15)
    assert result.info.fps == pytest.approx(10.0)
    assert result.frames_read == round(duration * 10)
    assert result.complete and not result.variable_frame_rate
    stamps = [f.timestamp for f in result.frames]
    assert stamps == [float(s) for s in range(round(duration))]
    assert all(len(f.pdq) == 64 and f.quality >= 50 for f in result.frames)
    assert result.keyframes and set(result.keyframes) <= set(stamps)


def test_matroska_that_is_not_webm_is_mkv(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mkv", scene_frames([3], 1.0, fps=5), fps=5)
    result = analyse_file(str(path))
    assert (result.info.container, result.info.codec) == ("mkv", "h264")
    assert result.frames_read == 5


def test_sampling_rate_is_configurable(videos: VideoSet) -> None:
    result = analyse_file(str(videos.original), VideoSettings(fps=2.0))
    assert [f.timestamp for f in result.frames] == [k / 2 for k in range(12)]
    sparse = analyse_file(str(videos.original), VideoSettings(fps=0.5))
    assert [f.timestamp for f in sparse.frames] == [0.0, 2.0, 4.0]


def test_downscaled_frames_stay_close_to_native(videos: VideoSet) -> None:
    from tutela.signals.pdq import hamming

    native = analyse_file(str(videos.original))
    small = analyse_file(str(videos.original), VideoSettings(frame_side=64))
    assert [f.timestamp for f in small.frames] == [f.timestamp for f in native.frames]
    assert [f.pdq for f in small.frames] != [f.pdq for f in native.frames]
    assert (
        max(hamming(a.pdq, b.pdq) for a, b in zip(native.frames, small.frames, strict=True)) <= 31
    )


def test_frames_agree_bit_for_bit_with_vpdq(videos: VideoSet) -> None:
    vpdq = pytest.importorskip(
        "vpdq", reason="vpdq is the benchmark anchor: pip install '.[bench]'"
    )
    ours = analyse_file(str(videos.original)).frames
    theirs = vpdq.computeHash(str(videos.original), seconds_per_hash=1, thread_count=1)
    assert [(f.pdq, f.quality) for f in ours] == [(f.hex, f.quality) for f in theirs]
    assert [f.timestamp for f in ours] == [round(f.timestamp, 3) for f in theirs]


def test_variable_frame_rate_is_detected_and_sampled_by_time(tmp_path: Path) -> None:
    # A phone-style recording: bursts at 30 frames/s, then pauses.
    times = [round(t, 3) for t in [0.0, 0.033, 0.066, 0.4, 0.433, 1.2, 1.233, 2.5, 2.533, 3.1]]
    path = write_video(tmp_path / "vfr.mkv", scene_frames([5], 1.0, fps=10), fps=30, times=times)
    result = analyse_file(str(path))
    assert result.variable_frame_rate
    assert result.frames_read == len(times)
    # The frame on screen at 0, 1, 2 and 3 s.
    assert [f.timestamp for f in result.frames] == [0.0, 0.433, 1.233, 2.533]


def test_animated_gif_and_webp_follow_their_frame_delays(tmp_path: Path) -> None:
    for suffix in (".gif", ".webp"):
        path = animated_image(tmp_path / f"anim{suffix}", [1, 2, 3], [700, 1200, 900], (96, 64))
        result = analyse_file(str(path))
        assert result.info.container == suffix[1:]
        assert result.info.duration == pytest.approx(2.8)
        assert result.variable_frame_rate
        assert [f.timestamp for f in result.frames] == [0.0, 0.7, 1.9]


def test_in_memory_and_streamed_files_give_the_same_signature(videos: VideoSet) -> None:
    streamed = analyse_file(str(videos.reencoded))
    loaded = analyse_video(Blob.from_bytes(videos.reencoded.read_bytes()), "webm")
    assert loaded.frames == streamed.frames
    assert loaded.info == streamed.info


def test_container_metadata_is_kept_for_provenance(videos: VideoSet) -> None:
    tags = analyse_file(str(videos.original)).info.tags
    assert tags["encoder"].startswith("Lavf")
    assert tags["major_brand"] == "isom"


def test_frames_of_shared_corpus_photos_match_the_photos(tmp_path: Path, shared_data: Path) -> None:
    from PIL import Image

    from tutela.media.image import pdq_pixels
    from tutela.media.limits import DEFAULT_LIMITS
    from tutela.signals.pdq import hamming, pdq_from_pixels

    def pdq_of(photo: Path, side: int | None) -> str:
        blob = Blob.from_path(str(photo), load_limit=10**9)
        return pdq_from_pixels(pdq_pixels(blob, "jpeg", "p", DEFAULT_LIMITS, side)[0]).hex

    # Photos whose PDQ is itself stable across scales (full size vs 512 px within 16 bits):
    # for the few that are not (fine texture), no resized copy of them matches either.
    photos = [
        p
        for p in sorted((shared_data / "images" / "real").glob("*.jp*g"))[:8]
        if hamming(pdq_of(p, None), pdq_of(p, 512)) <= 16
    ][:3]
    assert len(photos) == 3
    pictures = [Image.open(p).convert("RGB") for p in photos]
    video = write_video(
        tmp_path / "album.mp4", scene_frames(pictures, 2.0, size=(480, 320), disc=0.02)
    )
    frames = analyse_file(str(video)).frames
    for index, photo in enumerate(photos):
        known = pdq_of(photo, 512)
        close = [f.timestamp for f in frames if hamming(f.pdq, known) <= 31]
        assert close == [2.0 * index, 2.0 * index + 1], (photo.name, close)
