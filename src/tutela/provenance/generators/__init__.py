"""Generator metadata readers, one small module per tool, run as a table.

Each reader takes the file's :class:`Sources` and returns what it recognises; a reader
that recognises its tool's marker but cannot parse the rest raises
:class:`Malformed`, which becomes an error entry (the other readers still run).
"""

from __future__ import annotations

from collections.abc import Callable

from tutela.provenance.generators import (
    a1111,
    comfyui,
    drawthings,
    easydiffusion,
    flux_reference,
    fooocus,
    grok,
    invokeai,
    mflux,
    midjourney,
    novelai,
    swarmui,
)
from tutela.provenance.generators.common import Finding, Malformed, Sources
from tutela.provenance.model import ProvenanceIssue

Reader = Callable[[Sources], list[Finding]]

READERS: tuple[tuple[str, Reader], ...] = (
    ("a1111", a1111.read),
    ("comfyui", comfyui.read),
    ("novelai", novelai.read),
    ("invokeai", invokeai.read),
    ("fooocus", fooocus.read),
    ("swarmui", swarmui.read),
    ("easydiffusion", easydiffusion.read),
    ("drawthings", drawthings.read),
    ("mflux", mflux.read),
    ("midjourney", midjourney.read),
    ("grok", grok.read),
    ("flux-reference", flux_reference.read),
)


def read_generators(src: Sources) -> tuple[list[Finding], list[ProvenanceIssue]]:
    findings: list[Finding] = []
    issues: list[ProvenanceIssue] = []
    for name, reader in READERS:
        try:
            findings.extend(reader(src))
        except Malformed as exc:
            issues.append(ProvenanceIssue(name, "malformed-metadata", str(exc)))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            issues.append(
                ProvenanceIssue(name, "malformed-metadata", f"{type(exc).__name__}: {exc}")
            )
    return findings, issues


__all__ = ["READERS", "Finding", "Malformed", "Sources", "read_generators"]
