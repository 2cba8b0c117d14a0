"""Streaming ``multipart/form-data`` reader for the upload API.

Starlette's ``request.form()`` spools the whole body before the handler runs and has no
limit on a file part's size. This reader keeps the one file part in memory up to
``spool_bytes`` (a typical scan: no temp file, no extra reads) and past that streams it
to a temp file as the bytes arrive; it stops with ``too_large`` the moment the limit is
passed, so a large upload is never held whole in memory and an oversized one is cut off.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from python_multipart.multipart import MultipartParseError, MultipartParser, parse_options_header

from inkstream.errors import CaptureError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["Form", "read_form"]

_MAX_FIELD_BYTES = 64 * 1024
_MAX_FIELDS = 32


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    file_path: Path | None = None     # set when the file outgrew the in-memory spool
    file_data: bytes | None = None    # set when it did not
    filename: str | None = None
    file_field: str | None = None


class _Reader:
    def __init__(self, tmp_dir: Path, file_field: str, max_bytes: int, spool_bytes: int) -> None:
        self.form = Form()
        self._tmp_dir, self._file_field, self._max = tmp_dir, file_field, max_bytes
        self._spool = spool_bytes
        self._in_file = False
        self.complete = False
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._part_name: str | None = None
        self._sink: IO[bytes] | None = None
        self._buffer = bytearray()
        self._size = 0

    # python-multipart callbacks -------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers, self._buffer, self._size, self._sink = {}, bytearray(), 0, None
        self._in_file = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._part_name = name
        if b"filename" in params:
            if name != self._file_field or self.form.filename is not None:
                raise CaptureError(f"only one file, in the field {self._file_field!r}, is accepted",
                                   reason="invalid_form")
            self.form.filename = params[b"filename"].decode("utf-8", "replace")
            self._in_file = True
        elif len(self.form.fields) >= _MAX_FIELDS:
            raise CaptureError("too many form fields", reason="invalid_form")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._in_file:
            if self._size > self._max:
                raise CaptureError(f"the upload is over the limit of {self._max} bytes", reason="too_large")
            if self._sink is None and self._size > self._spool:
                self._spill()
            if self._sink is not None:
                self._sink.write(data[start:end])
            else:
                self._buffer += data[start:end]
        else:
            if self._size > _MAX_FIELD_BYTES:
                raise CaptureError(f"form field {self._part_name!r} is over {_MAX_FIELD_BYTES} bytes",
                                   reason="invalid_form")
            self._buffer += data[start:end]

    def on_part_end(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        elif self._in_file:
            self.form.file_data = bytes(self._buffer)
        elif self._part_name:
            self.form.fields[self._part_name] = self._buffer.decode("utf-8", "replace")

    def on_end(self) -> None:
        self.complete = True

    def _spill(self) -> None:
        """The file outgrew the spool: continue on disk."""
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=self._tmp_dir, prefix="upload-", delete=False)
        self.form.file_path = Path(handle.name)
        handle.write(self._buffer)
        self._buffer = bytearray()
        self._sink = handle

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()


async def read_form(content_type: str | None, body: AsyncIterator[bytes], *, tmp_dir: Path,
                    file_field: str, max_bytes: int, spool_bytes: int = 1024 * 1024) -> Form:
    """Parse a multipart body; the caller deletes ``form.file_path`` when done with it
    (it is removed here if parsing fails)."""
    ctype, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise CaptureError("send multipart/form-data with a 'file' part", reason="invalid_form")
    reader = _Reader(tmp_dir, file_field, max_bytes, spool_bytes)
    callbacks = cast("MultipartCallbacks", {
        name: getattr(reader, name) for name in (
            "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished", "on_part_data", "on_part_end", "on_end")})
    parser = MultipartParser(boundary, callbacks=callbacks)
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
        if not reader.complete:  # the client went away mid-upload
            raise MultipartParseError("the body ended before the closing boundary")
    except MultipartParseError as exc:
        reader.close()
        _discard(reader.form)
        raise CaptureError(f"malformed multipart body: {exc}", reason="invalid_form") from exc
    except BaseException:
        reader.close()
        _discard(reader.form)
        raise
    return reader.form


def _discard(form: Form) -> None:
    if form.file_path is not None:
        form.file_path.unlink(missing_ok=True)
