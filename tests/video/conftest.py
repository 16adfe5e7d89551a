"""Benign test videos, made once per session with real encoders (PyAV's FFmpeg)."""

from __future__ import annotations

import pytest

from tutela.testing.video import VideoSet, make_video_set


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoSet:
    return make_video_set(tmp_path_factory.mktemp("videos"))
