"""Key frames for review: selection by scene or uniformly, and the blurred greyscale strip."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from tutela.media.blob import Blob
from tutela.testing.video import VideoSet, animated_image
from tutela.video.analyse import analyse_file
from tutela.video.keyframes import render_frames, render_strip, scene_starts, select_keyframes
from tutela.video.vpdq import FrameHash

A, B, C = "0" * 64, "f" * 64, "0f" * 32  # pairwise 128 bits apart: three different scenes


def near(h: str, bit: int) -> str:
    return f"{int(h, 16) ^ (1 << bit):064x}"


def shots(*scenes: tuple[str, int]) -> list[FrameHash]:
    frames, t = [], 0
    for scene, length in scenes:
        for k in range(length):
            frames.append(FrameHash(float(t), near(scene, k), 90))
            t += 1
    return frames


def test_one_frame_per_scene_then_filled_uniformly() -> None:
    frames = shots((A, 10), (B, 3), (C, 7))
    assert scene_starts(frames) == [0, 10, 13]
    assert select_keyframes(frames, 3) == [0.0, 10.0, 13.0]
    chosen = select_keyframes(frames, 6)
    assert {0.0, 10.0, 13.0} <= set(chosen) and len(chosen) == 6


def test_more_scenes_than_places_spreads_over_scenes() -> None:
    frames = shots(*[(s, 1) for s in (A, B, C, A, B, C, A, B, C)])
    assert select_keyframes(frames, 3) == [0.0, 4.0, 8.0]


def test_dark_frames_do_not_start_scenes() -> None:
    frames = [FrameHash(0.0, A, 0), FrameHash(1.0, B, 90), FrameHash(2.0, C, 5)]
    assert scene_starts(frames) == [1]


def test_uniform_mode() -> None:
    frames = shots((A, 20))
    assert select_keyframes(frames, 5, mode="uniform") == [0.0, 5.0, 10.0, 14.0, 19.0]


hashes = st.sampled_from([A, B, C, near(A, 3), near(B, 7)])


@given(
    st.lists(st.tuples(hashes, st.integers(0, 100)), min_size=0, max_size=60),
    st.integers(1, 12),
    st.sampled_from(["scene", "uniform"]),
)
def test_selection_properties(raw: list[tuple[str, int]], count: int, mode: str) -> None:
    frames = [FrameHash(float(i), h, q) for i, (h, q) in enumerate(raw)]
    chosen = select_keyframes(frames, count, mode)  # type: ignore[arg-type]
    assert chosen == sorted(set(chosen))
    assert set(chosen) <= {f.timestamp for f in frames}
    assert len(chosen) == min(count, len(frames))


def sharpness(image: Image.Image) -> float:
    edges = np.asarray(image.convert("L").filter(ImageFilter.FIND_EDGES), dtype=np.float64)
    return float(edges[2:-2, 2:-2].mean())


def test_strip_is_one_greyscale_blurred_still(videos: VideoSet) -> None:
    analysis = analyse_file(str(videos.original))
    blob = Blob.from_path(str(videos.original))
    png = render_strip(blob, "mp4", analysis.keyframes[:3], height=90)
    strip = Image.open(io.BytesIO(png))
    assert strip.format == "PNG" and strip.mode == "L"
    assert strip.size == (3 * 120 + 2 * 4, 90)
    revealed = render_frames(blob, "mp4", [2.0], height=90, blur=False, grey=False)
    ((stamp, frame),) = revealed
    assert stamp == 2.0 and frame.mode == "RGB"
    blurred = render_frames(blob, "mp4", [2.0], height=90)[0][1]
    assert sharpness(blurred) < sharpness(frame) / 3


def test_strip_of_an_animated_gif(tmp_path: object) -> None:
    from pathlib import Path

    path = animated_image(Path(str(tmp_path)) / "a.gif", [1, 2, 3], [700, 1200, 900], (96, 64))
    blob = Blob.from_path(str(path), load_limit=10**7)
    tiles = render_frames(blob, "gif", [0.0, 1.0, 2.5], height=32)
    assert [t for t, _ in tiles] == [0.0, 0.7, 1.9]


def test_key_frame_copies_are_kept_during_the_single_decode(videos: VideoSet) -> None:
    analysis = analyse_file(str(videos.original))
    assert [t for t, _ in analysis.keyframe_images] == analysis.keyframes
    image = Image.open(io.BytesIO(analysis.keyframe_images[0][1]))
    assert image.format == "JPEG" and image.size == (320, 240)


def test_frame_keeper_stays_bounded_and_keeps_scene_starts() -> None:
    from tutela.video.keyframes import FrameKeeper

    keeper = FrameKeeper(cap=16, side=32)
    pixels = np.zeros((24, 32, 3), np.uint8)
    frames = shots(*[(s, 30) for s in (A, B, C)])  # 90 frames, scenes start at 0, 30, 60
    for f in frames:
        keeper.offer(f, pixels)
    assert len(keeper.kept) <= 16
    kept = [f.timestamp for f, _, _ in keeper.kept]
    assert {0.0, 30.0, 60.0} <= set(kept)
    assert max(kept) > 80, "thinning keeps frames from the whole video"
    assert [t for t, _ in keeper.select(3)] == [0.0, 30.0, 60.0]
