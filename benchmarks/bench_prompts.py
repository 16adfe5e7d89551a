"""Prompt screening: throughput, latency, benign false-block rate, obfuscation pass rate.

Anchor, measured in the same run: an AI-Horde-style filter (normalise: strip weights,
punctuation to spaces, join spaced letters, anyascii; then one regex alternation per
group, block when the minor and the sexual group both match) built from the same
lexicon. Run: ``python benchmarks/bench_prompts.py``.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path

from anyascii import anyascii

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from tutela.prompts import default_screener  # noqa: E402

SETS = ROOT / "tests" / "data" / "prompts"


def horde_filter() -> Callable[[str], str]:
    lex = default_screener().lexicon
    groups: dict[str, list[str]] = {"minor": [], "sexual": []}
    for entry in lex.entries():
        if entry.axis in groups:
            groups[entry.axis] += [re.escape(anyascii(f).lower()) for f in entry.forms]
    regs = {
        k: re.compile(r"\b(?:" + "|".join(sorted(set(v), key=len, reverse=True)) + r")\b")
        for k, v in groups.items()
    }
    weight = re.compile(r":\d*\.?\d+")
    spaced = re.compile(r"\b(?:\w ){2,}\w\b")

    def check(prompt: str) -> str:
        text = weight.sub(" ", prompt)
        text = re.sub(r"[\W_]+", " ", text)
        text = spaced.sub(lambda m: m.group().replace(" ", ""), text)
        text = anyascii(text).lower()
        hits = sum(1 for r in regs.values() if r.search(text))
        return "block" if hits >= 2 else "allow"

    return check


def corpus() -> dict[str, list[str]]:
    sets = {}
    for path in sorted(SETS.glob("benign_*.jsonl")):
        sets[path.stem] = [json.loads(x)["prompt"] for x in path.read_text().splitlines()]
    return sets


def obfuscation_cases() -> list[tuple[str, str]]:
    """(composition, expected plain decision) from the metamorphic test's transforms."""
    from prompts.test_metamorphic import LEXICON, OBFUSCATIONS, _cases, _counterpart

    screener = default_screener()
    cases = []
    for language in LEXICON.languages:
        for entry, form in _cases(language):
            if entry.strength == "weak":
                continue
            other = _counterpart(language, entry.axis)
            for fn in OBFUSCATIONS.values():
                variant = fn(form)
                if variant is not None:
                    cases.append(
                        (f"{variant} {other}", screener.screen(f"{form} {other}").decision)
                    )
    return cases


def _latencies(check: Callable[[str], object], prompts: list[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for p in prompts:
            t = time.perf_counter()
            check(p)
            out.append(time.perf_counter() - t)
    return out


def _worker(prompts: list[str]) -> int:
    s = default_screener()
    for p in prompts:
        s.screen(p)
    return len(prompts)


def main() -> None:
    screener = default_screener()
    horde = horde_filter()
    sets = corpus()
    prompts = [p for v in sets.values() for p in v]
    tutela = lambda p: screener.screen(p).decision  # noqa: E731
    for p in prompts:
        tutela(p)
    lat_t = _latencies(tutela, prompts, 30)
    lat_h = _latencies(horde, prompts, 30)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1e6

    rate_t = 1 / statistics.mean(lat_t)
    rate_h = 1 / statistics.mean(lat_h)
    work = prompts * 200
    t = time.perf_counter()
    with Pool(2) as pool:
        done = sum(pool.map(_worker, [work[0::2], work[1::2]]))
    rate_2 = done / (time.perf_counter() - t)

    cases = obfuscation_cases()
    pass_t = sum(tutela(c) == e for c, e in cases) / len(cases)
    pass_h = sum(horde(c) == e for c, e in cases) / len(cases)

    print(f"{'measure':42} {'tutela':>12} {'horde-style anchor':>20}")
    print(f"{'p50 latency (µs)':42} {pct(lat_t, 50):12.1f} {pct(lat_h, 50):20.1f}")
    print(f"{'p99 latency (µs)':42} {pct(lat_t, 99):12.1f} {pct(lat_h, 99):20.1f}")
    print(f"{'prompts/s, 1 core':42} {rate_t:12,.0f} {rate_h:20,.0f}")
    print(f"{'prompts/s, 2 processes':42} {rate_2:12,.0f} {'':>20}")
    print(f"{'speed ratio tutela/anchor (1 core)':42} {rate_t / rate_h:12.2f}")
    label = f"obfuscation pass rate ({len(cases)} cases)"
    print(f"{label:42} {pass_t:12.1%} {pass_h:20.1%}")
    for name, items in sets.items():
        blocks_t = sum(screener.screen(p).decision == "block" for p in items) / len(items)
        blocks_h = sum(horde(p) == "block" for p in items) / len(items)
        label = f"false-block rate {name} (n={len(items)})"
        print(f"{label:42} {blocks_t:12.1%} {blocks_h:20.1%}")


if __name__ == "__main__":
    main()
