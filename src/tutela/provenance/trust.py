"""C2PA trust lists: shipped as package data with their fetch dates, refreshed from files.

Never fetched at run time (hotlines run offline). The bundled copies live in
``tutela/provenance/trust``; ``tutela trust refresh`` copies a newer file into the
user's trust folder (``$TUTELA_TRUST_DIR``, else ``$XDG_DATA_HOME/tutela/trust``),
which then takes precedence for that list. ``tutela trust show`` reports each list's
origin, size and age, because a stale list turns new vendors into "untrusted".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from cryptography import x509

from tutela.errors import ConfigError

ROLES = ("anchors", "allowed", "eku")
OID = re.compile(r"^\d+(\.\d+)+$")


class TrustListError(ConfigError):
    kind = "trust-list"


@dataclass(frozen=True)
class TrustList:
    name: str
    role: str
    file: str
    source: str
    fetched: str
    origin: str
    """``bundled`` or the user folder it was refreshed into."""
    entries: int
    sha256: str

    def age_days(self, today: date | None = None) -> int | None:
        try:
            fetched = date.fromisoformat(self.fetched[:10])
        except ValueError:
            return None
        return ((today or datetime.now(UTC).date()) - fetched).days


def bundled_dir() -> Path:
    return Path(str(resources.files("tutela.provenance") / "trust"))


def user_dir() -> Path:
    explicit = os.environ.get("TUTELA_TRUST_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tutela" / "trust"


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "lists.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {entry["name"]: entry for entry in data.get("lists", [])}


def count_entries(role: str, text: str) -> int:
    """Validate a list's content for its role and count its entries."""
    if role == "anchors":
        try:
            certs = x509.load_pem_x509_certificates(text.encode())
        except ValueError as exc:
            raise TrustListError(f"not a PEM certificate bundle: {exc}") from exc
        return len(certs)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if role == "allowed":
        entries = [ln for ln in lines if not ln.startswith("#")]
        if not entries and "BEGIN CERTIFICATE" not in text:
            raise TrustListError("allowed list holds no hashes or certificates")
        return len(entries)
    if role == "eku":
        oids = [ln for ln in lines if not ln.startswith("//")]
        bad = [ln for ln in oids if not OID.match(ln)]
        if bad or not oids:
            raise TrustListError(f"EKU list must hold dotted OIDs; bad lines: {bad[:3]}")
        return len(oids)
    raise TrustListError(f"unknown role {role!r}")


def load_lists() -> list[TrustList]:
    bundled = _manifest(bundled_dir())
    user = _manifest(user_dir())
    out = []
    for name, entry in bundled.items():
        chosen, folder, origin = entry, bundled_dir(), "bundled"
        if name in user and (user_dir() / user[name]["file"]).is_file():
            chosen, folder, origin = user[name], user_dir(), str(user_dir())
        text = (folder / chosen["file"]).read_text()
        out.append(
            TrustList(
                name=name,
                role=chosen["role"],
                file=str(folder / chosen["file"]),
                source=chosen["source"],
                fetched=chosen["fetched"],
                origin=origin,
                entries=count_entries(chosen["role"], text),
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    return out


def c2pa_trust_settings(lists: list[TrustList] | None = None) -> dict[str, str]:
    """The ``trust`` section of c2pa-python settings built from the lists in force."""
    lists = load_lists() if lists is None else lists
    by_role: dict[str, list[str]] = {role: [] for role in ROLES}
    for item in lists:
        by_role[item.role].append(Path(item.file).read_text())
    settings: dict[str, str] = {}
    if by_role["anchors"]:
        settings["trust_anchors"] = "\n".join(by_role["anchors"])
    if by_role["allowed"]:
        settings["allowed_list"] = "\n".join(by_role["allowed"])
    if by_role["eku"]:
        settings["trust_config"] = "\n".join(by_role["eku"])
    return settings


def refresh(name: str, source_file: Path, fetched: str | None = None) -> TrustList:
    """Replace list ``name`` with ``source_file`` (validated) in the user trust folder."""
    bundled = _manifest(bundled_dir())
    if name not in bundled:
        raise TrustListError(f"unknown trust list {name!r}; known: {', '.join(sorted(bundled))}")
    try:
        text = source_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustListError(f"cannot read {source_file}: {exc}") from exc
    role = bundled[name]["role"]
    count_entries(role, text)
    when = fetched or datetime.fromtimestamp(source_file.stat().st_mtime, UTC).date().isoformat()
    try:
        date.fromisoformat(when)
    except ValueError as exc:
        raise TrustListError(f"--fetched must be a date (YYYY-MM-DD), not {when!r}") from exc
    folder = user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / bundled[name]["file"]
    shutil.copyfile(source_file, target)
    user = _manifest(folder)
    user[name] = {
        "name": name,
        "role": role,
        "file": bundled[name]["file"],
        "source": f"refreshed from {source_file.resolve()}",
        "fetched": when,
    }
    (folder / "lists.json").write_text(json.dumps({"lists": list(user.values())}, indent=2))
    return next(item for item in load_lists() if item.name == name)


def as_json(item: TrustList) -> dict[str, object]:
    return {**asdict(item), "age_days": item.age_days()}
