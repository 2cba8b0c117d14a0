"""The streaming form reader: small files stay in memory, large ones go to disk as they
arrive, and an oversized one is cut off without leaving a temp file behind."""

from __future__ import annotations

import asyncio

import pytest

from connectors.capture.multipart import read_form
from inkstream.errors import CaptureError

BOUNDARY = "XyZ"


def body(file_bytes: bytes, **fields: str) -> bytes:
    parts = [f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in fields.items()]
    parts.append(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.pdf\"\r\n"
                 f"Content-Type: application/pdf\r\n\r\n".encode() + file_bytes + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def read(raw: bytes, tmp_path, **kw):
    async def chunks():
        for i in range(0, len(raw), 777):  # arrives in pieces, like a socket
            yield raw[i:i + 777]

    return asyncio.run(read_form(f"multipart/form-data; boundary={BOUNDARY}", chunks(),
                                 tmp_dir=tmp_path / "up", file_field="file", **kw))


def test_a_small_file_stays_in_memory_with_the_fields(tmp_path):
    form = read(body(b"%PDF-small", crm_ref="006A", priority="high"), tmp_path, max_bytes=10_000)
    assert (form.file_data, form.file_path, form.filename) == (b"%PDF-small", None, "s.pdf")
    assert form.fields == {"crm_ref": "006A", "priority": "high"}


def test_a_file_over_the_spool_goes_to_disk_intact(tmp_path):
    data = bytes(range(256)) * 40
    form = read(body(data), tmp_path, max_bytes=100_000, spool_bytes=1000)
    assert form.file_data is None and form.file_path.read_bytes() == data


def test_a_file_over_the_limit_is_cut_off_and_its_temp_file_removed(tmp_path):
    with pytest.raises(CaptureError) as err:
        read(body(b"x" * 50_000), tmp_path, max_bytes=20_000, spool_bytes=1000)
    assert err.value.reason == "too_large"
    assert list((tmp_path / "up").iterdir()) == []


def test_two_files_are_refused(tmp_path):
    raw = body(b"one")[: -len(f"--{BOUNDARY}--\r\n")] + body(b"two")
    with pytest.raises(CaptureError) as err:
        read(raw, tmp_path, max_bytes=10_000)
    assert err.value.reason == "invalid_form"


def test_a_truncated_body_is_refused(tmp_path):
    with pytest.raises(CaptureError):
        read(body(b"%PDF")[:-30], tmp_path, max_bytes=10_000)
