"""Container metadata: generator names in tags, and JSON tags unpacked for readers."""

from __future__ import annotations

import json
from pathlib import Path

from tutela.testing.video import scene_frames, write_video
from tutela.video.analyse import analyse_file
from tutela.video.metadata import generator_mentions, tag_text


def test_tool_tags_and_free_text_are_told_apart() -> None:
    found = generator_mentions(
        {"encoder": "Lavf60.3.100", "software": "Runway Gen-3", "title": "made with AnimateDiff"}
    )
    by_name = {m.generator: m for m in found}
    assert set(by_name) == {"Runway", "AnimateDiff"}
    assert by_name["Runway"].tool_tag and not by_name["AnimateDiff"].tool_tag


def test_ordinary_words_do_not_trigger() -> None:
    tags = {"title": "Soramimi island ferry", "comment": "a pikachu drawing", "encoder": "Lavf"}
    assert generator_mentions(tags) == []


def test_json_tags_are_unpacked() -> None:
    graph = {"3": {"class_type": "KSampler", "inputs": {}}}
    text = tag_text(
        {"comment": json.dumps({"prompt": json.dumps(graph), "workflow": {"nodes": []}})}
    )
    assert json.loads(text["prompt"]) == graph
    assert json.loads(text["workflow"]) == {"nodes": []}


def test_tags_written_by_a_real_muxer_are_read(tmp_path: Path) -> None:
    path = write_video(
        tmp_path / "tagged.mp4",
        scene_frames([1], 1.0),
        container_options={"movflags": "use_metadata_tags"},
        metadata={"comment": "rendered with ComfyUI", "software": "Sora"},
    )
    tags = analyse_file(str(path)).info.tags
    assert {m.generator for m in generator_mentions(tags)} == {"ComfyUI", "OpenAI Sora"}
