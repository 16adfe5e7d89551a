"""Assessment rules: each input optional, every reason names its signal and value."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.assess.config import load_config
from tutela.assess.engine import assess_cluster, assess_item
from tutela.assess.inputs import BankHit, ItemSignals, PromptFinding
from tutela.assess.review_queue import queue, triage
from tutela.engine.scan import scan
from tutela.errors import ConfigError
from tutela.store import open_store
from tutela.testing.synth import encode, landscape, shapes

CONFIG = load_config()


def faces(p18: float, p13: float) -> dict[str, object]:
    return {"status": "faces", "usable_faces": 1, "p_under_18": p18, "p_under_13": p13}


UNKNOWN = {"status": "unknown", "usable_faces": 0, "p_under_18": None, "p_under_13": None}


def evidence(detail: str, points_to: str, weight: float) -> dict[str, object]:
    """One evidence entry shaped like the provenance signal's JSON."""
    return {
        "source": "test",
        "kind": "k",
        "detail": detail,
        "strength": "weak",
        "where": "",
        "points_to": points_to,
        "data": {},
        "weight": weight,
    }


CAMERA = {
    "status": "camera-evidence",
    "confidence": 0.3,
    "evidence": [evidence("EXIF Canon EOS 5D", "camera", 0.3)],
}
DECLARED = {
    "status": "declared-ai",
    "confidence": 0.9,
    "evidence": [
        evidence("EXIF Canon EOS 5D", "camera", 0.3),
        evidence("C2PA: trainedAlgorithmicMedia", "ai", 0.9),
    ],
}


def test_no_signals_gives_the_base_priority_and_no_reasons() -> None:
    a = assess_item(ItemSignals("x"), CONFIG)
    assert a.priority == CONFIG.priority["base"]
    assert a.reasons == [] and not a.auto_resolved


def test_nudity_times_apparent_minor_ranks_first_with_named_values() -> None:
    high = assess_item(ItemSignals("a", nudity=0.83, faces=faces(0.9, 0.4)), CONFIG)
    adult = assess_item(ItemSignals("b", nudity=0.83, faces=faces(0.02, 0.0)), CONFIG)
    assert high.priority > adult.priority
    assert high.band == "high"
    text = high.reasons[0].text
    assert "nudity score 0.83 (opennsfw)" in text and "P(apparent age < 18) 0.90" in text
    assert high.reasons[0].signal == "nudity×faces"
    assert high.reasons[0].value["p_under_18"] == 0.9


def test_unknown_age_is_never_adult() -> None:
    unknown = assess_item(ItemSignals("u", nudity=0.8, faces=UNKNOWN), CONFIG)
    adult = assess_item(ItemSignals("a", nudity=0.8, faces=faces(0.0, 0.0)), CONFIG)
    assert unknown.priority > adult.priority
    assert any("apparent age unknown" in r.text for r in unknown.reasons)


def test_camera_evidence_goes_first_and_declared_ai_is_lowered_only_as_far_as_policy() -> None:
    signals = {"nudity": 0.7, "faces": faces(0.8, 0.3)}
    plain = assess_item(ItemSignals("p", **signals), CONFIG)  # type: ignore[arg-type]
    camera = assess_item(ItemSignals("c", provenance=CAMERA, **signals), CONFIG)  # type: ignore[arg-type]
    ai = assess_item(ItemSignals("d", provenance=DECLARED, **signals), CONFIG)  # type: ignore[arg-type]
    assert camera.priority > plain.priority > ai.priority
    reduction = CONFIG.rule("synthetic")["declared_ai_max_reduction"]
    assert ai.priority >= plain.priority * (1 - reduction) - 0.1
    assert any(
        r.text == "no AI evidence and camera evidence: EXIF Canon EOS 5D" for r in camera.reasons
    )
    (declared,) = [r for r in ai.reasons if r.signal == "provenance"]
    assert declared.value == "declared-ai"
    assert declared.text.startswith("declared-ai: C2PA: trainedAlgorithmicMedia (policy")
    assert "EXIF" not in declared.text  # camera evidence does not explain an AI status


def test_operator_policy_can_forbid_any_ai_reduction(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules.synthetic]\ndeclared_ai_max_reduction = 0.0\n")
    strict = load_config(rules)
    signals = {"nudity": 0.7, "faces": faces(0.8, 0.3)}
    plain = assess_item(ItemSignals("p", **signals), strict)  # type: ignore[arg-type]
    ai = assess_item(ItemSignals("d", provenance=DECLARED, **signals), strict)  # type: ignore[arg-type]
    assert ai.priority == plain.priority
    assert strict.digest != CONFIG.digest


def test_positive_bank_match_auto_resolves_with_its_category() -> None:
    hit = BankHit("iwf-test", "positive", "pdq", 4, category="B")
    a = assess_item(ItemSignals("k", bank_hits=[hit]), CONFIG)
    assert a.auto_resolved
    assert a.resolution == {
        "bank": "iwf-test",
        "category": "B",
        "signal_type": "pdq",
        "distance": 4,
    }
    assert a.reasons[0].effect == "auto-resolved" and "category B" in a.reasons[0].text


def test_suppressed_or_quarantined_matches_do_not_resolve() -> None:
    suppressed = BankHit("pos", "positive", "pdq", 3, suppressed=True)
    negative = BankHit("known-fp", "negative", "pdq", 2)
    quarantined = BankHit("pos", "positive", "pdq", 5, quarantined=True)
    a = assess_item(ItemSignals("s", nudity=0.5, bank_hits=[suppressed, negative]), CONFIG)
    assert not a.auto_resolved
    assert any(r.effect.startswith("×") and "negative bank" in r.text for r in a.reasons)
    q = assess_item(ItemSignals("q", bank_hits=[quarantined]), CONFIG)
    assert not q.auto_resolved
    assert q.priority > CONFIG.priority["base"]
    assert "quarantined" in q.reasons[0].text


def test_prompt_screener_findings_raise_priority_without_repeating_the_prompt() -> None:
    finding = PromptFinding("block", "age term with sexual term", ("minor-sexual",))
    a = assess_item(ItemSignals("p", prompt_findings=[finding]), CONFIG)
    assert a.priority == CONFIG.priority["base"] + CONFIG.rule("prompt_screen")["block_bonus"]
    assert a.reasons[0].signal == "prompt-screen" and "block" in a.reasons[0].text


def test_disabled_rule_is_silent(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text("[rules.nudity]\nenabled = false\n[rules.nudity_minor]\nenabled = false\n")
    a = assess_item(ItemSignals("n", nudity=0.9), load_config(rules))
    assert a.reasons == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.nudity]\nwieght = 3\n", "unknown setting rules.nudity.'wieght'"),
        ("[rules.nudity]\nweight = 'high'\n", "must be a number"),
        ("[rules.nudity]\nenabled = 1\n", "true or false"),
        ("[nope]\n", "unknown setting 'nope'"),
        ("not toml ===", "not valid TOML"),
        ("[rules.synthetic]\ndeclared_ai_max_reduction = 2\n", "is a fraction"),
    ],
)
def test_bad_rules_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(rules)


signal_values = st.builds(
    ItemSignals,
    sha256=st.just("h"),
    nudity=st.none() | st.floats(0, 1),
    faces=st.none()
    | st.just(UNKNOWN)
    | st.tuples(st.floats(0, 1), st.floats(0, 1)).map(lambda t: faces(max(t), min(t))),
    provenance=st.none() | st.sampled_from([CAMERA, DECLARED, {"status": "no-evidence"}]),
)


@settings(max_examples=200, deadline=None)
@given(item=signal_values)
def test_priority_is_bounded_and_every_reason_is_explained(item: ItemSignals) -> None:
    a = assess_item(item, CONFIG)
    assert 0 <= a.priority <= 100
    assert a.band in {"high", "medium", "low"}
    for reason in a.reasons:
        assert reason.signal and reason.text and reason.value is not None
        assert "illegal" not in reason.text.lower()


@settings(max_examples=100, deadline=None)
@given(more=st.floats(0.05, 1), base=st.floats(0, 1), p=st.floats(0, 1))
def test_more_nudity_never_lowers_priority(more: float, base: float, p: float) -> None:
    low = assess_item(ItemSignals("a", nudity=base, faces=faces(p, p / 2)), CONFIG)
    high = assess_item(ItemSignals("a", nudity=min(1, base + more), faces=faces(p, p / 2)), CONFIG)
    assert high.priority >= low.priority


def test_cluster_ranks_as_its_most_urgent_open_member_and_notes_bank_neighbours() -> None:
    urgent = assess_item(ItemSignals("b", nudity=0.9, faces=UNKNOWN), CONFIG)
    calm = assess_item(ItemSignals("c"), CONFIG)
    known = assess_item(
        ItemSignals("a", bank_hits=[BankHit("bk", "positive", "pdq", 8, "A")]), CONFIG
    )
    c = assess_cluster([("a", known), ("b", urgent), ("c", calm)], 31, CONFIG)
    assert not c.auto_resolved
    assert c.priority == pytest.approx(
        urgent.priority + CONFIG.rule("bank_match")["neighbour_bonus"]
    )
    assert c.reasons[0].signal == "bank" and "matched bank 'bk' (category A)" in c.reasons[0].text
    assert any(r.signal == "cluster" and r.value == 3 for r in c.reasons)
    resolved = assess_cluster([("a", known)], 31, CONFIG)
    assert resolved.auto_resolved


def test_triage_json_on_a_scanned_case(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    base = landscape(21)
    (folder / "a.jpg").write_bytes(encode(base))
    (folder / "a-copy.jpg").write_bytes(encode(base))
    (folder / "a-small.jpg").write_bytes(encode(base.resize((320, 240)), quality=75))
    (folder / "b.png").write_bytes(encode(shapes(4), "PNG"))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not an image")
    db = tmp_path / "t.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutela",
            "scan",
            str(folder),
            "--db",
            str(db),
            "--case",
            "demo",
            "--workers",
            "1",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "assess: decisions" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "tutela", "triage", "--db", str(db), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["case"] == "demo"
    assert result["items"] == 4 and result["locations"] == 5
    assert result["auto_resolved"] == 0
    assert result["clusters_to_judge"] == 1 and result["items_in_clusters_to_judge"] == 2
    assert result["decisions"] == 3 and result["reduction"] == pytest.approx(4 / 3, abs=0.01)
    assert "never verdicts" in result["note"]
    top = result["entries"][0]
    assert top["priority"] >= result["entries"][-1]["priority"]
    cluster = next(e for e in result["entries"] if e["unit"] == "cluster")
    assert cluster["copies"] == 3 and cluster["size"] == 2
    broken = next(e for e in result["entries"] if any(r["signal"] == "media" for r in e["reasons"]))
    assert broken["reasons"][0]["value"] in {"truncated", "corrupt"}
    assert any("not compared for near-duplicates" in r["text"] for r in broken["reasons"])

    human = subprocess.run(
        [sys.executable, "-m", "tutela", "triage", "--db", str(db), "--case", "demo"],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert "decisions for an analyst" in human.stdout and "never verdicts" in human.stdout


def test_triage_rules_override_changes_stored_assessments(store_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.png").write_bytes(encode(shapes(8), "PNG"))
    store = open_store(store_url)
    scan(store, [str(folder)], "c", workers=1)
    before = queue(store, "c")
    rules = tmp_path / "r.toml"
    rules.write_text("[priority]\nbase = 42\n")
    after = triage(store, "c", rules)
    assert before.entries[0].priority == CONFIG.priority["base"]
    assert after.entries[0].priority == 42
    assert after.rules == load_config(rules).digest != before.rules
    assert queue(store, "c").entries[0].priority == 42  # stored for the review workspace


def test_unknown_case_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutela",
            "triage",
            "--db",
            str(tmp_path / "x.db"),
            "--case",
            "nope",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no case named 'nope'" in done.stderr


def test_stored_provenance_and_prompt_findings_reach_the_queue(
    store_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from tutela.store.models import Location, Signal

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "camera.jpg").write_bytes(encode(landscape(31)))
    (folder / "generated.png").write_bytes(encode(landscape(32), "PNG"))
    store = open_store(store_url)
    scan(store, [str(folder)], "c", workers=1)
    with store.transaction() as session:
        shas = {
            Path(path).name: sha
            for path, sha in session.execute(select(Location.path, Location.item_sha256))
        }
        for row in [
            Signal(
                item_sha256=shas["camera.jpg"],
                name="provenance",
                version="test",
                data=CAMERA,
            ),
            Signal(
                item_sha256=shas["generated.png"],
                name="provenance",
                version="test",
                data={
                    "status": "declared-ai",
                    "evidence": [evidence("PNG parameters chunk (A1111)", "ai", 0.85)],
                    "prompt_findings": [
                        {"decision": "review", "axes": ["age"], "reasons": ["an age term"]}
                    ],
                },
            ),
        ]:
            session.merge(row)  # replaces the provenance signal a scan stored
    result = triage(store, "c")
    texts = {e.paths[0].rsplit("/", 1)[-1]: [r["text"] for r in e.reasons] for e in result.entries}
    assert "no AI evidence and camera evidence: EXIF Canon EOS 5D" in texts["camera.jpg"]
    assert any("embedded prompt screened: review (age)" in t for t in texts["generated.png"])
    assert any(t.startswith("declared-ai: PNG parameters chunk") for t in texts["generated.png"])
    by_name = {e.paths[0].rsplit("/", 1)[-1]: e.priority for e in result.entries}
    base = CONFIG.priority["base"]
    assert by_name["camera.jpg"] == base * CONFIG.rule("camera_evidence")["factor"]
    cut = 1 - CONFIG.rule("synthetic")["declared_ai_max_reduction"]
    review = CONFIG.rule("prompt_screen")["review_bonus"]
    assert by_name["generated.png"] == pytest.approx((base + review) * cut, abs=0.1)


def test_negative_prompts_are_paired_never_screened_as_prompts() -> None:
    from tutela.assess.gather import extracted_prompts

    provenance = {
        "prompts": [
            {"text": "a red kitten on a sofa", "negative": False, "tool": "a1111", "where": "p"},
            {"text": "blurry, low quality", "negative": True, "tool": "a1111", "where": "p"},
            {"text": "a lighthouse at dusk", "negative": False, "tool": "comfyui", "where": "w"},
            {"text": "   ", "negative": False, "tool": "x", "where": "y"},
        ]
    }
    assert extracted_prompts(provenance) == [
        ("a red kitten on a sofa", "blurry, low quality"),
        ("a lighthouse at dusk", None),
    ]
    assert extracted_prompts(None) == []
