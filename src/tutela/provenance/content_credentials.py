"""C2PA Content Credentials through ``c2pa-python``, fully offline.

Three traps real files set, each handled here:

* an AI declaration may sit only in an *ingredient* manifest (ChatGPT's files), so
  every manifest is walked, not just the active one;
* provider certificates expire and, without a timestamp, the SDK then reports the
  store ``Invalid`` although the claim is intact: validation, trust and the claim are
  reported separately, and an invalid signature lowers strength but keeps the claim;
* anyone can sign a "Valid" manifest with a self-made certificate, so trust comes
  only from the shipped trust lists, and an untrusted signer is "a claim by whoever
  signed", never proof.

Remote manifests and OCSP are never fetched; a remote reference is reported as such.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from tutela.provenance.digital_source import meaning, term_of
from tutela.provenance.model import Evidence, ProvenanceIssue, Strength

MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "heif": "image/heif",
    "avif": "image/avif",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
}
OFFLINE = {"remote_manifest_fetch": False, "ocsp_fetch": False}

_contexts: dict[str, Any] = {}


def _context(trust: dict[str, str]) -> Any:
    """One c2pa Context per trust configuration per process (building one costs ~10 ms)."""
    import c2pa

    key = json.dumps(trust, sort_keys=True)
    if key not in _contexts:
        settings: dict[str, Any] = {"verify": dict(OFFLINE)}
        if trust:
            settings["trust"] = trust
        _contexts.clear()
        _contexts[key] = c2pa.Context.from_dict(settings)
    return _contexts[key]


@dataclass
class C2paOutcome:
    report: dict[str, Any] | None = None
    evidence: list[Evidence] = field(default_factory=list)
    issues: list[ProvenanceIssue] = field(default_factory=list)


def _agent(value: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("name")
        version = value.get("version")
        return f"{name} {version}".strip() if name else None
    return str(value) if value else None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for assertion in manifest.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data") or {}
        for action in data.get("actions") or []:
            if not isinstance(action, dict):
                continue
            params = action.get("parameters") or {}
            source = action.get("digitalSourceType") or params.get("com.adobe.digitalSourceType")
            out.append(
                {
                    "action": action.get("action"),
                    "digital_source_type": term_of(source) if source else None,
                    "software_agent": _agent(action.get("softwareAgent")),
                    "assertion": assertion.get("label"),
                }
            )
    for ingredient in manifest.get("ingredients") or []:
        source = ingredient.get("digitalSourceType") if isinstance(ingredient, dict) else None
        if source:
            out.append(
                {
                    "action": "ingredient",
                    "digital_source_type": term_of(source),
                    "software_agent": None,
                    "assertion": f"ingredient {ingredient.get('title', '?')}",
                }
            )
    return out


def _roles(store: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Manifest label → (active | ingredient | unreferenced, depth below the active one)."""
    manifests = store.get("manifests") or {}
    active = store.get("active_manifest")
    roles: dict[str, tuple[str, int]] = {}
    frontier: list[tuple[str, int]] = [(str(active), 0)] if active in manifests else []
    while frontier:
        label, depth = frontier.pop()
        if label in roles:
            continue
        roles[label] = ("active" if depth == 0 else "ingredient", depth)
        for ingredient in manifests[label].get("ingredients") or []:
            child = ingredient.get("active_manifest") if isinstance(ingredient, dict) else None
            if isinstance(child, str) and child in manifests:
                frontier.append((child, depth + 1))
    for label in manifests:
        roles.setdefault(label, ("unreferenced", -1))
    return roles


def _all_codes(store: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(outcome, code, url) from the store's status list and its detailed results, including
    the deltas recorded for each ingredient."""
    found = [
        ("failure", str(s.get("code")), str(s.get("url")))
        for s in store.get("validation_status") or []
    ]
    results = store.get("validation_results") or {}
    groups = [results.get("activeManifest") or {}]
    groups += [d.get("validationDeltas") or {} for d in results.get("ingredientDeltas") or []]
    for group in groups:
        for outcome in ("success", "informational", "failure"):
            for entry in group.get(outcome) or []:
                found.append((outcome, str(entry.get("code")), str(entry.get("url"))))
    return found


def _codes_for(label: str, codes: list[tuple[str, str, str]], outcome: str) -> list[str]:
    marker = f"/c2pa/{label}/"
    return sorted({code for kind, code, url in codes if kind == outcome and marker in url})


def _signer_text(signer: dict[str, Any]) -> str:
    parts = [signer.get("common_name"), signer.get("issuer")]
    return " / ".join(p for p in parts if p) or "unknown signer"


def _strength(trust: str, validation: str) -> Strength:
    if validation == "invalid":
        return "embedded"
    return "verified" if trust == "trusted" else "signed"


def summarise(store: dict[str, Any], state: str | None) -> C2paOutcome:
    """Report and evidence from a manifest store (``Reader.json()``) and its state."""
    outcome = C2paOutcome()
    statuses = list(store.get("validation_status") or [])
    codes = _all_codes(store)
    roles = _roles(store)
    manifests_out = []
    for label, manifest in (store.get("manifests") or {}).items():
        role, depth = roles[label]
        failed = _codes_for(label, codes, "failure")
        passed = _codes_for(label, codes, "success")
        signer = manifest.get("signature_info") or {}
        failures = [c for c in failed if c != "signingCredential.untrusted"]
        # Trust is only what the SDK says it checked: an ingredient's trust is often unknown.
        if "signingCredential.untrusted" in failed:
            trust = "untrusted"
        elif "signingCredential.trusted" in passed:
            trust = "trusted"
        else:
            trust = "unknown"
        validation = "invalid" if failures else "valid"
        actions = _actions(manifest)
        generator = manifest.get("claim_generator") or " ".join(
            str(g.get("name", "")) for g in manifest.get("claim_generator_info") or []
        )
        manifests_out.append(
            {
                "label": label,
                "role": role,
                "depth": depth,
                "title": manifest.get("title"),
                "claim_generator": generator or None,
                "signer": {
                    "issuer": signer.get("issuer"),
                    "common_name": signer.get("common_name"),
                    "time": signer.get("time"),
                    "alg": signer.get("alg"),
                    "cert_serial_number": signer.get("cert_serial_number"),
                },
                "trust": trust,
                "validation": validation,
                "failures": failures,
                "actions": actions,
            }
        )
        where = f"C2PA {role} manifest {label}" + (f" (depth {depth})" if depth > 0 else "")
        seen: set[str] = set()
        for act in actions:
            term = act["digital_source_type"]
            if not term or term in seen:
                continue
            seen.add(term)
            what = meaning(term)
            agent = f" by {act['software_agent']}" if act["software_agent"] else ""
            signed_by = _signer_text(signer)
            state_note = {
                ("trusted", "valid"): "signature valid, signer on a trust list",
                ("untrusted", "valid"): "signature valid, signer on no trust list: "
                "a claim by whoever signed",
                ("unknown", "valid"): "no signature failure reported, signer's trust not "
                "established: a claim by whoever signed",
            }.get((trust, validation), f"signature problems: {', '.join(failures)}")
            data = {
                "digital_source_type": term,
                "manifest": label,
                "role": role,
                "action": act["action"],
                "software_agent": act["software_agent"],
                "signer": signed_by,
                "trust": trust,
                "validation": validation,
                "failures": failures,
            }
            if what in ("ai", "ai-composite"):
                noun = "generated by a trained AI model" if what == "ai" else "a composite with AI"
                outcome.evidence.append(
                    Evidence(
                        "c2pa",
                        "ai-declaration",
                        f"C2PA {role} manifest declares the image {noun} ({term}){agent}; "
                        f"signed by {signed_by}; {state_note}",
                        _strength(trust, validation),
                        f"{where} {act['assertion']} {act['action']}",
                        "ai",
                        data,
                    )
                )
            elif what == "synthetic-composite":
                outcome.evidence.append(
                    Evidence(
                        "c2pa",
                        "synthetic-declaration",
                        f"C2PA {role} manifest declares a composite with synthetic content "
                        f"({term}){agent}; signed by {signed_by}",
                        "weak",
                        f"{where} {act['assertion']} {act['action']}",
                        "ai",
                        data,
                    )
                )
            elif what == "capture":
                outcome.evidence.append(
                    Evidence(
                        "c2pa",
                        "capture-declaration",
                        f"C2PA {role} manifest declares device capture ({term}){agent}; signed "
                        f"by {signed_by}; {state_note}",
                        "weak",
                        f"{where} {act['assertion']} {act['action']}",
                        "camera",
                        data,
                    )
                )
            else:
                outcome.evidence.append(
                    Evidence(
                        "c2pa",
                        "non-ai-declaration",
                        f"C2PA {role} manifest: digital source type {term} is not generative AI",
                        "info",
                        f"{where} {act['assertion']} {act['action']}",
                        "neither",
                        data,
                    )
                )
    outcome.report = {
        "validation_state": state,
        "active_manifest": store.get("active_manifest"),
        "manifests": manifests_out,
        "validation_status": [
            {"code": s.get("code"), "url": s.get("url"), "explanation": s.get("explanation")}
            for s in statuses
        ],
    }
    outcome.evidence.append(
        Evidence(
            "c2pa",
            "content-credentials",
            f"C2PA manifest store with {len(manifests_out)} manifest(s), state {state}",
            "info",
            "C2PA manifest store",
            "neither",
            {"validation_state": state},
        )
    )
    return outcome


def read_c2pa(data: bytes, fmt: str, trust: dict[str, str]) -> C2paOutcome:
    """Read and validate the file's manifest store offline; never raises."""
    import c2pa

    mime = MIME.get(fmt)
    if mime is None:
        return C2paOutcome()
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=_context(trust))
    except Exception as exc:  # c2pa raises C2paError subclasses and, rarely, others
        message = str(exc)
        if "Remote" in type(exc).__name__ or "remote manifest" in message.lower():
            url = message.rsplit("url ", 1)[-1].strip() if "url " in message else None
            return C2paOutcome(
                {"validation_state": None, "remote_url": url, "manifests": []},
                [
                    Evidence(
                        "c2pa",
                        "remote-manifest",
                        "the file references a C2PA manifest stored remotely; not fetched "
                        "(offline). Fetch it separately to validate it",
                        "info",
                        "C2PA remote reference",
                        "neither",
                        {"url": url},
                    )
                ],
            )
        return C2paOutcome(
            issues=[ProvenanceIssue("c2pa", "c2pa-unreadable", f"{type(exc).__name__}: {message}")]
        )
    if reader is None:
        return C2paOutcome()
    try:
        store = json.loads(reader.json())
        state = reader.get_validation_state()
    except Exception as exc:
        return C2paOutcome(
            issues=[ProvenanceIssue("c2pa", "c2pa-unreadable", f"{type(exc).__name__}: {exc}")]
        )
    finally:
        reader.close()
    return summarise(store, state)
