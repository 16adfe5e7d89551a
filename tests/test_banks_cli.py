"""The bank, match and token commands as a user runs them (subprocesses, JSON output)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tutela.store import open_store
from tutela.store.schema import load_all
from tutela.testing.synth import encode, landscape

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def tutela(*args: str, db: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "tutela", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_bank_lifecycle_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    tutela("bank", "create", "KNOWN", "--pdq-threshold", "20", db=db)
    listing = tmp_path / "list.csv"
    listing.write_text(f"signal_type,value,category\npdq,{PDQ},A1\nmd5,nothex,\n")
    imported = lines(
        tutela("bank", "import", "KNOWN", str(listing), "--format", "csv", "--json", db=db)
    )
    assert imported[0]["added"] == 1 and imported[0]["rejected"] == 1
    (match,) = lines(tutela("match", "--pdq", PDQ, "--json", db=db))
    assert match["matched"] is True and match["banks"][0]["pdq_threshold"] == 20
    assert match["banks"][0]["matches"][0]["metadata"] == {"category": "A1"}
    entry_id = match["banks"][0]["matches"][0]["entry_id"]

    disabled = lines(tutela("bank", "disable", str(entry_id), "--reason", "test", "--json", db=db))
    assert disabled[0]["status"] == "disabled"
    assert lines(tutela("match", "--pdq", PDQ, "--json", db=db))[0]["matched"] is False
    exported = tutela("bank", "export", "KNOWN", "--format", "hma", db=db).stdout
    assert exported == f"pdq {PDQ}\n"

    bad = tutela("match", "--pdq", "123", db=db, check=False)
    assert bad.returncode == 2 and "64 hexadecimal digits" in bad.stderr
    missing = tutela("bank", "import", "NOPE", str(listing), db=db, check=False)
    assert missing.returncode == 2 and "no bank named 'NOPE'" in missing.stderr


def test_add_images_scan_and_match_files(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    banked = tmp_path / "banked.png"
    banked.write_bytes(encode(landscape(5), "PNG"))
    copy = tmp_path / "in" / "copy.jpg"
    copy.parent.mkdir()
    copy.write_bytes(encode(landscape(5), "JPEG", quality=70))
    tutela("bank", "create", "KNOWN", db=db)
    added = lines(tutela("bank", "add", "KNOWN", str(banked), "--json", db=db))
    assert added[0]["added"] == 4
    (scan,) = lines(tutela("scan", str(copy.parent), "--case", "c", "--json", db=db))
    assert scan["stages"]["match"]["items_matched"] == 1
    (match,) = lines(tutela("match", str(copy), "--json", db=db))
    assert match["matched"] and match["input"].endswith("copy.jpg")


def test_tokens_are_shown_once_and_stored_hashed(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    (created,) = lines(tutela("token", "create", "--role", "hash", "--json", db=db))
    assert created["role"] == "match" and str(created["token"]).startswith("tut_")
    assert str(created["token"]) not in db.read_bytes().decode("latin-1")
    tutela("token", "revoke", str(created["id"]), db=db)
    listed = lines(tutela("token", "list", "--json", db=db))
    assert "token" not in listed[0] and listed[0]["revoked_at"] is not None


def test_migrations_agree_with_the_models(store_url: str) -> None:
    store = open_store(store_url)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), load_all().metadata)
    assert diff == []
