"""Bank file formats: CSV, HMA and VICS read as streams, tolerate real-world quirks,
and round-trip through export."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.banks.formats import get_format
from tutela.banks.records import EntryRecord, RecordError

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def read(fmt: str, data: bytes, signal_type: str | None = None) -> list[EntryRecord | RecordError]:
    return list(get_format(fmt).read(io.BytesIO(data), signal_type))


def write(fmt: str, records: list[EntryRecord]) -> str:
    out = io.StringIO()
    get_format(fmt).write(lambda: iter(records), out)
    return out.getvalue()


def records_only(rows: list[EntryRecord | RecordError]) -> list[EntryRecord]:
    return [r for r in rows if isinstance(r, EntryRecord)]


class Endless(io.RawIOBase):
    """A stream that never ends: only a streaming reader can return its first records."""

    def __init__(self, head: bytes, line: bytes) -> None:
        self.buffer = head
        self.line = line

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        while len(self.buffer) < len(b):
            self.buffer += self.line * 64
        n = len(b)
        b[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        return n


def first(records: Iterator[EntryRecord | RecordError], n: int) -> list[EntryRecord | RecordError]:
    return [next(records) for _ in range(n)]


# -- CSV --------------------------------------------------------------------------


def test_csv_with_header_keeps_metadata_columns() -> None:
    data = f"signal_type,value,category,note\npdq,{PDQ},A1,seen twice\nmd5,{MD5.upper()},,\n"
    rows = read("csv", data.encode("utf-8-sig"))
    assert rows == [
        EntryRecord("pdq", PDQ, {"category": "A1", "note": "seen twice"}),
        EntryRecord("md5", MD5.upper(), {}),
    ]


def test_csv_without_header_and_bad_rows() -> None:
    rows = read("csv", f"pdq,{PDQ},x\njust-one-column\n\n# comment\nmd5,{MD5}\n".encode())
    assert isinstance(rows[1], RecordError) and "line 2" in rows[1].where
    assert records_only(rows) == [
        EntryRecord("pdq", PDQ, {"column_3": "x"}),
        EntryRecord("md5", MD5),
    ]


def test_csv_reads_as_a_stream() -> None:
    stream = Endless(b"signal_type,value\n", f"pdq,{PDQ}\n".encode())
    got = first(get_format("csv").read(io.BufferedReader(stream), None), 5)
    assert got == [EntryRecord("pdq", PDQ)] * 5


_meta_key = st.text(alphabet="abcdefgh_", min_size=1, max_size=8).filter(
    lambda k: k not in ("source_key",)
)
_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12
)
_record = st.builds(
    EntryRecord,
    st.sampled_from(["pdq", "md5", "sha1"]),
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=64),
    st.dictionaries(_meta_key, _cell.filter(lambda v: v != ""), max_size=3),
    st.sampled_from(["", "k1", "k2"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_record, max_size=12))
def test_csv_round_trip(records: list[EntryRecord]) -> None:
    text = write("csv", records)
    back = read("csv", text.encode())
    assert back == records


# -- HMA ----------------------------------------------------------------------------


def test_hma_lines_and_bare_values() -> None:
    data = f"pdq {PDQ}\n\n# a comment\nvideo_md5 {MD5}\n{PDQ}\n".encode()
    rows = read("hma", data)
    assert rows[:2] == [EntryRecord("pdq", PDQ), EntryRecord("video_md5", MD5)]
    assert isinstance(rows[2], RecordError) and "--signal-type" in rows[2].message
    assert read("hma", f"{PDQ}\n".encode(), "pdq") == [EntryRecord("pdq", PDQ)]


def test_hma_matches_threatexchange_local_file_format(tmp_path: object) -> None:
    """What we write, threatexchange's own local-file exchange reads back."""
    from pathlib import Path

    from threatexchange.exchanges.impl.file_api import (
        FileCollaborationConfig,
        LocalFileSignalExchangeAPI,
    )
    from threatexchange.signal_type.pdq.signal import PdqSignal

    path = Path(str(tmp_path)) / "list.txt"
    path.write_text(write("hma", [EntryRecord("pdq", PDQ), EntryRecord("video_md5", MD5)]))
    api = LocalFileSignalExchangeAPI(FileCollaborationConfig(name="f", filename=str(path)))
    delta = next(api.fetch_iter([PdqSignal], None))
    assert set(delta.updates) == {("pdq", PDQ), ("video_md5", MD5)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(
            EntryRecord,
            st.sampled_from(["pdq", "md5", "video_md5"]),
            st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=64),
        ),
        max_size=20,
    )
)
def test_hma_round_trip(records: list[EntryRecord]) -> None:
    assert read("hma", write("hma", records).encode()) == records


# -- VICS ---------------------------------------------------------------------------


def vics_hash_set(media: list[dict[str, object]], bom: bool = False, v1: bool = False) -> bytes:
    key = "odata.metadata" if v1 else "@odata.context"
    context = (
        "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"
        if v1
        else "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"
    )
    raw = json.dumps({key: context, "value": media}).encode()
    return (b"\xef\xbb\xbf" if bom else b"") + raw


def test_vics_hash_set_with_real_world_quirks() -> None:
    media = [
        {
            "MD5": MD5.upper(),
            "SHA1": SHA1.upper(),
            "MediaID": "12",
            "Category": "2",
            "VictimIdentified": "true",
            "OffenderIdentified": "False",
            "IsPrecategorized": "true",
            "DateUpdated": "/Date(1577836800000)/",
            "PhotoDNA": "AAECAwQ=",
            "MediaFiles": [{"FileName": "x.jpg", "MD5": MD5}],
            "AlternativeHashes": [
                {"HashName": "SHA-256", "HashValue": SHA256},
                {"HashName": "pdq", "HashValue": PDQ.upper()},
                {"HashName": "VendorHash", "HashValue": "v1"},
            ],
        },
        {"MD5": "0" * 32, "Category": None, "IsPrecategorized": True},
        {"Category": 1},
    ]
    rows = read("vics", vics_hash_set(media, bom=True))
    entries = records_only(rows)
    by_type = {r.signal_type: r for r in entries if r.source_key == MD5}
    assert set(by_type) == {"md5", "sha1", "sha256", "pdq", "photodna"}
    meta = by_type["pdq"].metadata
    assert meta["Category"] == 2 and meta["MediaID"] == 12
    assert meta["VictimIdentified"] is True and meta["OffenderIdentified"] is False
    assert meta["DateUpdated"] == "/Date(1577836800000)/"
    assert meta["AlternativeHashes"] == [{"HashName": "VendorHash", "HashValue": "v1"}]
    assert "MediaFiles" not in meta
    second = [r for r in entries if r.source_key == "0" * 32]
    assert second[0].metadata["Category"] is None
    errors = [r for r in rows if isinstance(r, RecordError)]
    assert len(errors) == 1 and "Media record 3" in errors[0].where


def test_vics_1x_envelope_and_case_exports() -> None:
    assert len(records_only(read("vics", vics_hash_set([{"MD5": MD5}], v1=True)))) == 1
    case = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
        "value": [
            {
                "CaseID": "c0ffee",
                "TotalMediaFiles": 99,
                "Media": [{"MD5": MD5, "Category": 1}, {"MD5": "1" * 32, "Category": "0"}],
                "SourceApplicationName": "x",
            }
        ],
    }
    rows = read("vics", json.dumps(case).encode())
    assert [(r.signal_type, r.metadata["Category"]) for r in records_only(rows)] == [
        ("md5", 1),
        ("md5", 0),
    ]
    assert not [r for r in rows if isinstance(r, RecordError)]


def test_vics_broken_json_keeps_what_was_read() -> None:
    data = vics_hash_set([{"MD5": MD5}, {"MD5": "1" * 32}])[:-30]
    rows = read("vics", data)
    assert records_only(rows)[0].value == MD5
    assert isinstance(rows[-1], RecordError) and "not valid JSON" in rows[-1].message


def test_vics_reads_as_a_stream() -> None:
    head = b'\xef\xbb\xbf{"@odata.context": "x#Media", "value": [{"MD5": "' + MD5.encode() + b'"}'
    stream = Endless(head, b', {"MD5": "' + MD5.encode() + b'"}')
    got = first(get_format("vics").read(io.BufferedReader(stream), None), 20)
    assert all(isinstance(r, EntryRecord) and r.value == MD5 for r in got)


def test_vics_round_trip_regroups_media_records() -> None:
    media = [
        {
            "MD5": MD5,
            "SHA1": SHA1,
            "Category": 3,
            "MediaID": 7,
            "IsPrecategorized": "true",
            "Series": "s1",
            "PhotoDNA": "AAECAwQ=",
            "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ}],
        },
        {"MD5": "2" * 32, "Category": None, "MediaID": 8, "IsPrecategorized": "false"},
    ]
    first_read = records_only(read("vics", vics_hash_set(media)))
    text = write("vics", sorted(first_read, key=lambda r: r.source_key))
    exported = json.loads(text)
    assert len(exported["value"]) == 2
    by_md5 = {m["MD5"]: m for m in exported["value"]}
    assert by_md5[MD5.upper()]["IsPrecategorized"] == "true"  # booleans as strings
    assert by_md5[MD5.upper()]["AlternativeHashes"] == [{"HashName": "PDQ", "HashValue": PDQ}]
    second_read = records_only(read("vics", text.encode()))
    norm = lambda rows: sorted(  # noqa: E731
        (r.signal_type, r.value.lower(), r.source_key, json.dumps(r.metadata, sort_keys=True))
        for r in rows
    )
    assert norm(second_read) == norm(first_read)


def test_vics_export_says_what_it_cannot_express() -> None:
    out = io.StringIO()
    summary = get_format("vics").write(lambda: iter([EntryRecord("pdq", PDQ)]), out)
    assert summary.skipped == 1 and "MD5" in summary.notes[0]
    assert json.loads(out.getvalue())["value"] == []
