"""Harness: a file as any capture source hands it to the intake check.

The contract (``connectors/capture/intake.py``): ``check`` accepts a PDF, PNG, JPEG or
TIFF (its real type, size and a page/frame count of at least 1) or raises
``CaptureError`` whose ``reason`` is one of ``REASONS``. Anything else escaping is an
upload answered 500, a mail lost, a hot-folder file left without a reason file.

Input: first byte names the file (``fuzz.seeds.INTAKE_NAMES``), the rest is its content.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Pillow's PNG/JPEG/TIFF header parsers are Python: instrumented, they guide the fuzzer
# (pdfium is C and is not instrumented; its refusals still count as outcomes).
with atheris.instrument_imports(include=["connectors.capture", "PIL"]):
    from PIL import Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin  # noqa: F401  (intake imports lazily)

    from connectors.capture.intake import REASONS, SUPPORTED_TYPES, check
    from inkstream.errors import CaptureError

from fuzz.seeds import INTAKE_NAMES  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)  # Pillow's "Corrupt EXIF data" on every damaged TIFF


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    name, content = INTAKE_NAMES[data[0] % len(INTAKE_NAMES)], data[1:]
    try:
        checked = check(content, name, max_bytes=1_000_000, max_image_pixels=4_000_000)
    except CaptureError as exc:
        assert exc.reason in REASONS, exc.reason
        return
    assert checked.content_type in SUPPORTED_TYPES
    assert checked.size == len(content) and checked.pages >= 1


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
