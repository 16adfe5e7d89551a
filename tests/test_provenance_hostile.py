"""Malformed and hostile metadata yields error entries, never a crash."""

from __future__ import annotations

import contextlib
import io
import json
import struct
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from tutela.provenance import InspectOptions, inspect_bytes
from tutela.provenance.container import decode_user_comment, read_container
from tutela.provenance.generators.a1111 import parse_params_line, split_parameters
from tutela.provenance.pngchunks import MAX_TEXT_BYTES, parse_png_chunks
from tutela.provenance.xmp import parse_xmp
from tutela.testing import provenance as fx
from tutela.testing.synth import encode, landscape

FAST = InspectOptions(watermark=False)


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_chunks(*extra: bytes) -> bytes:
    base = encode(landscape(1, 64, 48), "PNG")
    end = base.rindex(b"IEND") - 4
    return base[:end] + b"".join(extra) + base[end:]


def test_broken_json_in_comfyui_prompt_is_an_error_entry() -> None:
    data = fx.png_with_text(landscape(1, 64, 48), {"prompt": '{"3": {"inputs": ', "workflow": "{"})
    result = inspect_bytes(data, options=FAST)
    assert any(e.kind == "malformed-metadata" and e.source == "comfyui" for e in result.errors)
    assert result.status == "no-evidence"


def test_text_chunks_after_image_data_are_read() -> None:
    data = png_with_chunks(
        chunk(b"tEXt", b"parameters\x00" + b"a lake\nSteps: 5, Seed: 1, Sampler: Euler")
    )
    assert inspect_bytes(data, options=FAST).generators[0].tool == "AUTOMATIC1111"


def test_truncated_chunk_is_recorded() -> None:
    data = png_with_chunks(struct.pack(">I", 10_000) + b"tEXt" + b"parameters\x00abc")
    data = data[: data.index(b"tEXt") + 20]
    result = inspect_bytes(data, options=FAST)
    assert any(e.kind == "truncated-chunk" for e in result.errors)


def test_zlib_bomb_in_ztxt_is_refused() -> None:
    bomb = zlib.compress(b"A" * (MAX_TEXT_BYTES + 1024), 9)
    data = png_with_chunks(chunk(b"zTXt", b"parameters\x00\x00" + bomb))
    result = inspect_bytes(data, options=FAST)
    assert any(e.kind == "oversized-text-chunk" for e in result.errors)


def test_huge_text_chunk_is_refused_cheaply() -> None:
    data = png_with_chunks(chunk(b"tEXt", b"Comment\x00" + b"x" * (MAX_TEXT_BYTES + 1)))
    found = parse_png_chunks(data)
    assert "Comment" not in found.text
    assert any(kind == "oversized-text-chunk" for kind, _ in found.issues)


def test_billion_laughs_xmp_is_refused() -> None:
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="">&lol2;</rdf:Description></rdf:RDF></x:xmpmeta>'
    )
    result = inspect_bytes(fx.jpeg_with_xmp(landscape(1, 64, 48), hostile), options=FAST)
    assert any(e.kind == "corrupt-xmp" for e in result.errors)


def test_external_entity_xmp_is_refused() -> None:
    hostile = (
        '<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="">&ext;</rdf:Description></rdf:RDF></x:xmpmeta>'
    )
    result = inspect_bytes(fx.jpeg_with_xmp(landscape(1, 64, 48), hostile), options=FAST)
    assert any(e.kind == "corrupt-xmp" for e in result.errors)


def test_stealth_magic_with_impossible_length_is_an_error_entry() -> None:
    rgba = np.asarray(landscape(2, 64, 64).convert("RGBA")).copy()
    bits = np.unpackbits(np.frombuffer(b"stealth_pngcomp" + (2**31).to_bytes(4, "big"), np.uint8))
    column = np.ascontiguousarray(rgba[:, :, 3].T).reshape(-1)
    column[: bits.size] = (column[: bits.size] & 0xFE) | bits
    rgba[:, :, 3] = column.reshape(64, 64).T
    result = inspect_bytes(encode(Image.fromarray(rgba, "RGBA"), "PNG"), options=FAST)
    assert any(e.source == "stealth-alpha" for e in result.errors)


def test_truncated_image_still_reports_metadata() -> None:
    data = fx.png_with_text(
        landscape(1, 320, 240), {"parameters": "a pond\nSteps: 5, Seed: 1, Sampler: Euler"}
    )
    cut = data[: len(data) // 2]
    result = inspect_bytes(cut)
    assert result.status == "declared-ai"
    assert any(e.source == "pixels" for e in result.errors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash(data: bytes) -> None:
    inspect_bytes(b"\x89PNG\r\n\x1a\n" + data, options=FAST)
    inspect_bytes(b"\xff\xd8\xff" + data, options=FAST)
    parse_png_chunks(b"\x89PNG\r\n\x1a\n" + data)
    read_container(data, "webp")
    decode_user_comment(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_text_parsers_never_crash(text: str) -> None:
    parse_params_line(text)
    split_parameters(text)
    with contextlib.suppress(Exception):  # refusing hostile XML is the point; crashing is not
        parse_xmp(text)
    data = fx.png_with_text(
        landscape(1, 32, 32),
        {
            "parameters": text,
            "prompt": text,
            "Comment": text,
            "invokeai_metadata": text,
            "Dream": text,
            "sd-metadata": text,
        },
    )
    inspect_bytes(data, options=FAST)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda kids: (
            st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_json_shaped_garbage_never_crashes(value: object) -> None:
    text = json.dumps(value)
    chunks = {
        "prompt": text,
        "workflow": text,
        "invokeai_metadata": text,
        "fooocus_scheme": "fooocus",
        "parameters": json.dumps({"sui_image_params": value}),
        "Comment": text,
        "Software": "NovelAI",
    }
    result = inspect_bytes(fx.png_with_text(landscape(1, 32, 32), chunks), options=FAST)
    assert result.status in ("declared-ai", "no-evidence", "likely-ai", "camera-evidence")


def test_user_comment_encodings() -> None:
    assert decode_user_comment(b"ASCII\x00\x00\x00hello") == "hello"
    assert decode_user_comment(b"UNICODE\x00" + "héllo".encode("utf-16-be")) == "héllo"
    assert decode_user_comment(b"UNICODE\x00" + "héllo".encode("utf-16-le")) == "héllo"
    assert decode_user_comment(b"") is None


def test_unrecognised_format_is_an_error_entry() -> None:
    result = inspect_bytes(b"file,kind\nsomething,else\n")
    assert result.status == "no-evidence"
    assert [e.kind for e in result.errors] == ["unsupported-format"]


def test_unreadable_image_bytes() -> None:
    result = inspect_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    assert result.status == "no-evidence"
    assert result.errors
    image = Image.open(io.BytesIO(encode(landscape(1, 32, 32))))
    assert image.size == (32, 32)


def test_ordinary_text_chunks_are_not_mistaken_for_a_generator() -> None:
    chunks = {"Comment": "Created with GIMP", "Source": "flatbed scan", "Software": "GIMP 2.10",
              "prompt": "remember to crop", "Description": "harbour at dawn"}  # fmt: skip
    result = inspect_bytes(fx.png_with_text(landscape(1, 64, 48), chunks), options=FAST)
    assert result.status == "no-evidence" and result.errors == []
