"""Edited copies: recall and false matches per edit type, tutela vs plain PDQ.

Half of the shared benign corpus (../shared/data/images) is banked, the other half
stays unrelated. Every image is edited (resize, recompression, caption, 3 % crop
per side, letterbox) and matched through the real stack (store, bank, scan-time
signals, matcher). The anchor, measured in the same run, is plain PDQ: the banked
hash alone, the query's hash alone, threshold 31.

    TUTELA_SHARED_DATA=../shared/data python benchmarks/bench_edits.py [--limit N]

recall = edited banked images that match their own source / edited banked images
false  = matches to a banked image that is not the same picture (corpus originals within
         31 bits of each other, e.g. one photo in two formats, count as the same picture)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tutela.banks import service
from tutela.banks.images import add_images
from tutela.banks.matcher import Matcher, Query
from tutela.banks.queries import queries_from_files
from tutela.config import shared_data_dir
from tutela.errors import MediaError
from tutela.media.blob import Blob
from tutela.media.image import decode_rgb
from tutela.media.limits import DEFAULT_LIMITS
from tutela.media.sniff import sniff
from tutela.signals.pdq import hamming
from tutela.store import open_store
from tutela.testing.edits import EDITS
from tutela.testing.synth import encode


def corpus(limit: int | None) -> list[Path]:
    root = shared_data_dir()
    if root is None:
        sys.exit("set TUTELA_SHARED_DATA to ../shared/data (the benign image corpus)")
    files = sorted(
        p for p in (root / "images").rglob("*") if p.suffix.lower() not in (".csv", ".md")
    )
    files = [p for p in files if p.is_file()]
    return files[:limit] if limit else files


def load(path: Path) -> object | None:
    try:
        blob = Blob.from_path(str(path), load_limit=DEFAULT_LIMITS.max_decode_bytes)
        return decode_rgb(blob, sniff(blob.head(64)).format, str(path), DEFAULT_LIMITS, 1600)
    except MediaError:
        return None


def run(limit: int | None) -> None:
    console = Console()
    started = time.monotonic()
    images = [(p, im) for p in corpus(limit) if (im := load(p)) is not None]
    banked = images[0::2]
    unrelated = images[1::2]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = open_store(f"sqlite:///{root / 'bench.db'}")
        with store.transaction() as session:
            service.create_bank(session, "TUTELA")
            service.create_bank(session, "PLAIN")
        sources: dict[str, str] = {}  # source sha256 -> image name
        for path, _ in banked:
            add_images(store, "TUTELA", [str(path)])
            add_images(store, "PLAIN", [str(path)], variants=False)
        # edited copies: <edit>/<b|u>-<index>.jpg
        cases: list[tuple[str, str, Path, Path]] = []  # (edit, group, source, file)
        for edit_name, (edit, quality) in EDITS.items():
            folder = root / edit_name.replace(" ", "_").replace("/", "-").replace("%", "pc")
            folder.mkdir()
            for group, members in (("banked", banked), ("unrelated", unrelated)):
                for i, (path, image) in enumerate(members):
                    target = folder / f"{group}-{i}.jpg"
                    target.write_bytes(encode(edit(image), "JPEG", quality=quality))  # type: ignore[arg-type]
                    cases.append((edit_name, group, path, target))
        for group, members in (("unrelated", unrelated),):
            for path, _ in members:
                cases.append(("none (originals)", group, path, path))
        queries = {}
        for q in queries_from_files([str(c[3]) for c in cases]):
            if isinstance(q, Query):
                queries[q.label] = q
        with store.session() as session:
            from sqlalchemy import select

            from tutela.banks.models import Entry

            for key, meta in session.execute(
                select(Entry.source_key, Entry.meta).where(Entry.signal_type == "sha256")
            ):
                sources[key] = meta.get("file", "")
            banked_pdq = {
                sources.get(key, ""): value
                for key, value in session.execute(
                    select(Entry.source_key, Entry.value).where(
                        Entry.signal_type == "pdq", Entry.variant == ""
                    )
                )
            }
        # originals of the corpus that are the same picture (e.g. one photo in two formats)
        # are not false matches of each other
        original_pdq = {**banked_pdq}
        for _, group, source, file in cases:
            if group == "unrelated" and source == file and str(file) in queries:
                original_pdq[source.name] = dict(queries[str(file)].signals).get("pdq", "")

        def same_picture(a: str, b: str) -> bool:
            pa, pb = original_pdq.get(a), original_pdq.get(b)
            return bool(pa and pb) and hamming(pa, pb) <= 31

        matcher = Matcher(store)
        matcher.refresh()
        plain_queries = [
            Query(q.label, [s for s in q.signals if s[0] == "pdq"], q.pdq_quality)
            for q in queries.values()
        ]
        full_queries = [
            Query(q.label, [s for s in q.signals if s[0] == "pdq"], q.pdq_quality, q.extra_pdq)
            for q in queries.values()
        ]
        t0 = time.perf_counter()
        plain_results = {r.query.label: r for r in matcher.match(plain_queries)}
        full_results = {r.query.label: r for r in matcher.match(full_queries)}
        match_seconds = time.perf_counter() - t0

    table = Table(title="Edited copies of banked images (benign corpus)")
    for column in (
        "edit",
        "queries",
        "plain PDQ recall",
        "tutela recall",
        "ratio",
        "plain false",
        "tutela false",
        "median d plain",
        "median d tutela",
    ):
        table.add_column(column, justify="right" if column != "edit" else "left")
    edits = [*EDITS, "none (originals)"]
    for edit_name in edits:
        rows = [c for c in cases if c[0] == edit_name]
        stats = {}
        for system, results, bank in (
            ("plain", plain_results, "PLAIN"),
            ("tutela", full_results, "TUTELA"),
        ):
            hit = false = 0
            dists = []
            positives = 0
            for _, group, source, file in rows:
                result = results.get(str(file))
                if result is None:
                    continue
                mine = [h for h in result.hits if h.bank == bank and h.status == "match"]
                wrong = [
                    h for h in mine if not same_picture(sources.get(h.source_key, ""), source.name)
                ]
                false += len(wrong)
                if group == "banked" and source.name in banked_pdq:
                    positives += 1
                    own = [h for h in mine if sources.get(h.source_key) == source.name]
                    hit += bool(own)
                    if own:
                        dists.append(min(h.distance for h in own))
            stats[system] = (hit, positives, false, dists)
        ph, pn, pf, pd = stats["plain"]
        th, tn, tf, td = stats["tutela"]
        n = len(rows)
        table.add_row(
            edit_name,
            str(n),
            f"{ph / pn:.1%}" if pn else "–",
            f"{th / tn:.1%}" if tn else "–",
            f"{(th / tn) / (ph / pn):.2f}×" if pn and ph else ("–" if not pn else "∞"),
            str(pf),
            str(tf),
            f"{statistics.median(pd):.0f}" if pd else "–",
            f"{statistics.median(td):.0f}" if td else "–",
        )
    console.print(table)
    console.print(
        f"{len(banked)} banked ({len(banked_pdq)} with a PDQ of quality ≥ 50; recall counts "
        f"those), {len(unrelated)} unrelated images; {len(cases)} queries; "
        f"matching {2 * len(queries) / match_seconds:,.0f} queries/s; "
        f"total {time.monotonic() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N corpus images")
    run(parser.parse_args().limit)


if __name__ == "__main__":
    main()
