"""Helpers for tests and benchmarks of capture (like ``streams.runtime.testing``):
real small files made with fpdf2 and Pillow, and a ``ListSink`` record sink.

>>> make_pdf("Hello")[:5]
b'%PDF-'
"""

from __future__ import annotations

import io
import struct
import zlib
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["ListSink", "make_image", "make_pdf", "make_png", "png_bomb"]


def make_pdf(text: str = "Contract 42", *, pages: int = 1, **encryption) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for i in range(pages):
        pdf.add_page()
        pdf.cell(text=f"{text} page {i + 1}")
    if encryption:
        pdf.set_encryption(**encryption)
    return bytes(pdf.output())


def make_png(width: int = 64, height: int = 48, color=(200, 30, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def make_image(fmt: str, width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (width, height), 128).save(buf, format=fmt)
    return buf.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few hundred bytes that claim 10^10 pixels: a decompression bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


class ListSink:
    """A ``RecordSink`` that keeps (topic, key, value) in a list and acknowledges at once;
    ``decoded`` reads them back with ``codec`` (the one the records were encoded with)."""

    def __init__(self, codec: Codec | None = None) -> None:
        self.records: list[tuple[str, str, bytes]] = []
        self.codec = codec

    def send(self, topic: str, key: str, value: bytes) -> Future:
        self.records.append((topic, key, value))
        fut: Future = Future()
        fut.set_result(None)
        return fut

    def decoded(self, topic_suffix: str) -> list[dict[str, Any]]:
        if self.codec is None:
            raise ValueError("ListSink(codec) decodes what it holds; this one was built without a codec")
        return [self.codec.decode(v) for t, _k, v in self.records if t.endswith(topic_suffix)]
