"""The real files in the shared benign corpus: every AI file with metadata is found with its
tool, and no camera photo is ever declared AI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tutela.provenance import InspectOptions, inspect_path

FAST = InspectOptions(watermark=False)


def manifest(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "images" / "MANIFEST.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_no_camera_photo_is_declared_ai(shared_data: Path) -> None:
    rows = [r for r in manifest(shared_data) if r["kind"] == "real"]
    assert len(rows) >= 100
    statuses = {}
    for row in rows:
        result = inspect_path(shared_data / "images" / row["file"], FAST)
        assert result.status not in ("declared-ai", "likely-ai"), (row["file"], result.summary)
        statuses[row["file"]] = result.status
        if row["generator_if_known"].startswith("camera:"):
            assert result.status == "camera-evidence", row["file"]
    assert sum(s == "camera-evidence" for s in statuses.values()) >= 60


def test_every_ai_file_with_metadata_is_declared(shared_data: Path) -> None:
    rows = [r for r in manifest(shared_data) if r["kind"] == "ai"]
    for row in rows:
        result = inspect_path(shared_data / "images" / row["file"], FAST)
        if row["metadata_kind"] == "none" or "stripped" in row["generator_if_known"]:
            assert result.status == "no-evidence", row["file"]
            continue
        assert result.status == "declared-ai", (row["file"], result.summary)
        assert result.errors == [], (row["file"], result.errors)
        expected_tool = row["generator_if_known"].split(";")[0].split(" ")[0]
        tools = [g.tool for g in result.generators]
        assert expected_tool in tools, (row["file"], tools)
        models = {m.name for m in result.models}
        for model in row["generator_if_known"].split("=", 1)[1].split(","):
            assert any(model.strip() in str(m) for m in models), (row["file"], model, models)
        assert result.prompts, row["file"]


@pytest.mark.parametrize(
    ("name", "tool", "seed"),
    [
        ("ai-comfyui-examples-sdxl-simple-example-2.png", "ComfyUI", None),
        ("ai-swarmui-flux-schnell.jpg", "SwarmUI", 1),
        ("ai-mflux-puffin.png", "MFLUX", 42),
        ("ai-comfyui-examples-text-to-video-wan.webp", "ComfyUI", 82628696717253),
    ],
)
def test_generation_parameters_of_real_files(
    shared_data: Path, name: str, tool: str, seed: int | None
) -> None:
    result = inspect_path(shared_data / "images" / "ai" / name, FAST)
    gen = next(g for g in result.generators if g.tool == tool)
    if seed is not None:
        assert gen.seed == seed
    assert gen.steps and gen.model
    assert not any(e.kind == "camera-metadata" for e in result.evidence)
