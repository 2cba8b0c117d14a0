"""Hostile files for the pixel-budget tests and the SECURITY.md measurement: small on
disk, enormous once rendered or decoded. Built in code, byte by byte, so nothing large is
committed and each file is exactly the attack described.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["huge_page_pdf", "png_declaring", "many_pages_pdf"]


def _pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def huge_page_pdf(points: int = 7200) -> bytes:
    """One blank page of ``points`` x ``points`` pt (7200 pt = 100 in: 20000 x 20000 px at
    200 dpi) in a few hundred bytes."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] >>" % (points, points)])


def many_pages_pdf(pages: int, points: int = 612) -> bytes:
    """``pages`` blank pages that all point at one page object's dictionary shape."""
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] >>" % (points, points)] * pages
    return _pdf(objs)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, *, rows: int | None = None) -> bytes:
    """A 1-bit greyscale PNG whose header declares ``width`` x ``height``. ``rows`` limits
    how many (white) rows the data really holds (default all: a valid, highly compressible
    bomb; 40000 x 40000 is ~200 MB raw, a few hundred KB compressed)."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte + packed white pixels
    z = zlib.compressobj(9)
    body = bytearray()
    for _ in range(height if rows is None else rows):
        body += z.compress(row)
    body += z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", bytes(body)) + _chunk(b"IEND", b"")
