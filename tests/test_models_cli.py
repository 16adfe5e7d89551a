"""``tutela models`` and ``tutela models inventory`` as a user runs them."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from test_models_stage import build_drive
from tutela.cli import app
from tutela.testing import models as tm

CONTRACT = {
    "record",
    "sha256",
    "paths",
    "kind",
    "architecture",
    "format",
    "hashes",
    "training",
    "linked_images",
    "linked_training_sets",
    "base_models",
    "problems",
}


def _run(*args: str) -> Any:
    """The CLI in-process (fast); the planted-pickle test runs it as a real subprocess."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_scan_then_models_json(tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    build_drive(drive)
    db = str(tmp_path / "t.db")
    scanned = _lines(
        _run(
            "scan",
            str(drive),
            "--db",
            db,
            "--case",
            "c",
            "--json",
            "--no-progress",
            "--workers",
            "1",
        ).stdout
    )
    assert scanned[0]["stages"]["models"]["training_sets"] == 3
    models = _lines(_run("models", "--db", db, "--case", "c", "--json").stdout)
    assert [Path(m["paths"][0]).name for m in models] == ["base.safetensors", "lora.safetensors"]
    for model in models:
        assert set(model) >= CONTRACT
        raw = Path(model["paths"][0]).read_bytes()
        assert model["hashes"]["sha256"] == hashlib.sha256(raw).hexdigest()
    human = _run("models", "--db", db, "--case", "c").stdout
    assert "lora" in human and "leads for review, not verdicts" in human
    sets = _lines(_run("models", "--db", db, "--case", "c", "--training-sets", "--json").stdout)
    assert len(sets) == 3
    missing = _lines(_run("models", "--db", db, "--case", "c", "--missing", "--json").stdout)
    assert {m["name"] for m in missing} == {"gone.safetensors", "absent-style"}


def test_unknown_case_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tutela", "models", "--db", str(tmp_path / "t.db"), "--case", "x"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "no case named 'x'" in done.stderr


def test_inventory_header_only_and_full(tmp_path: Path) -> None:
    path = tm.write_safetensors(tmp_path / "m.safetensors", tm.layout("sdxl"), min_bytes=2 << 20)
    (tmp_path / "readme.txt").write_text("not a model")
    quick = _lines(_run("models", "inventory", str(tmp_path), "--header-only", "--json").stdout)
    full = _lines(_run("models", "inventory", str(tmp_path), "--json").stdout)
    assert [r["path"] for r in quick] == [str(path)]
    assert quick[0]["hashes"]["sha256"] is None and quick[0]["hashes"]["autov1"]
    assert full[0]["hashes"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (full[0]["kind"], full[0]["architecture"]) == ("checkpoint", "sdxl")


def test_hostile_metadata_is_shown_as_inert_text(tmp_path: Path) -> None:
    """Terminal escapes and Rich markup in a header must not reach the analyst's terminal."""
    meta = tm.kohya_metadata(output_name="\x1b[2J[bold red]x[/]\x07")
    tm.write_safetensors(tmp_path / "m.safetensors", tm.layout("sd1", "lora"), meta)
    db = str(tmp_path / "t.db")
    _run("scan", str(tmp_path), "--db", db, "--case", "c", "--no-progress", "--workers", "1")
    human = (
        CliRunner(env={"COLUMNS": "200"}).invoke(app, ["models", "--db", db, "--case", "c"]).stdout
    )
    assert "\x1b[2J" not in human and "\x07" not in human
    assert "[bold red]x[/]" in human
