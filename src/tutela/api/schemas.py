"""Request and response shapes of the banks/matching API (stable, list-shaped)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SignalModel(BaseModel):
    signal_type: str = Field(examples=["pdq"])
    value: str = Field(
        examples=["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"]
    )


class MatchRequest(BaseModel):
    signals: list[SignalModel] = Field(
        description="Signals of one piece of content, e.g. its PDQ and MD5.", min_length=1
    )
    pdq_quality: int | None = Field(
        None, description="PDQ quality if known; below 50 the PDQ is not compared."
    )


class MatchHit(BaseModel):
    entry_id: int
    signal_type: str
    value: str
    distance: int
    via: str = Field(description="How an edited copy matched: crop-N, unletterboxed, rotate90, ...")
    status: str = Field(
        description="match, suppressed (a negative bank matched too) or quarantined"
    )
    source_key: str
    metadata: dict[str, Any]


class BankMatches(BaseModel):
    bank: str
    kind: str
    pdq_threshold: int | None
    matches: list[MatchHit]


class MatchResponse(BaseModel):
    input: str
    signals: list[SignalModel]
    pdq_quality: int | None
    matched: bool = Field(description="A positive bank matched and was not suppressed")
    suppressed: bool
    notes: list[str]
    banks: list[BankMatches]


class HashResponse(BaseModel):
    input: str
    kind: str | None = None
    format: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    signals: list[SignalModel] = Field(description="Feed these straight into POST /v1/match.")
    pdq_quality: int | None = None
    error: dict[str, str] | None = None


class BankCreate(BaseModel):
    name: str
    kind: str = "positive"
    pdq_threshold: int = 31
    flood_limit: int = 100
    description: str = ""


class BankUpdate(BaseModel):
    kind: str | None = None
    pdq_threshold: int | None = None
    flood_limit: int | None = None
    description: str | None = None


class BankModel(BaseModel):
    name: str
    kind: str
    pdq_threshold: int
    flood_limit: int
    description: str
    exchange_api: str | None
    created_at: str
    last_fetch_at: str | None
    entries: dict[str, int]
    signal_types: dict[str, int]


class EntryIn(BaseModel):
    signal_type: str
    value: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    source_key: str = ""


class EntriesIn(BaseModel):
    entries: list[EntryIn] = Field(min_length=1, max_length=10_000)


class EntryModel(BaseModel):
    id: int
    bank: str
    signal_type: str
    value: str
    status: str
    status_reason: str
    source_key: str
    metadata: dict[str, Any]
    created_at: str


class StatusChange(BaseModel):
    reason: str = ""


class ImportResult(BaseModel):
    bank: str
    added: int
    updated: int
    rejected: int
    by_signal_type: dict[str, int]
    errors: list[dict[str, str]]
