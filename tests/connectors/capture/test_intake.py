"""Intake refuses bad files by their bytes, with a stable reason code, and never crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from connectors.capture.intake import REASONS, check, sniff
from inkstream.errors import CaptureError
from connectors.capture.testing import make_image, make_pdf, make_png, png_bomb

LIMITS = dict(max_bytes=5 * 1024 * 1024, max_image_pixels=89_478_485)


def refusal(data: bytes, name: str = "scan.pdf", **limits) -> str:
    with pytest.raises(CaptureError) as err:
        check(data, name, **{**LIMITS, **limits})
    assert err.value.reason in REASONS
    assert name in str(err.value)
    return err.value.reason


def test_a_real_pdf_is_accepted_with_its_page_count():
    checked = check(make_pdf(pages=3), "contract.pdf", **LIMITS)
    assert (checked.content_type, checked.pages) == ("application/pdf", 3)


@pytest.mark.parametrize("fmt,ctype", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("TIFF", "image/tiff")])
def test_each_supported_image_type_is_recognised_by_its_bytes(fmt, ctype):
    assert check(make_image(fmt), "whatever.bin", **LIMITS).content_type == ctype


def test_a_pdf_on_disk_is_checked_without_reading_it_into_memory_first(tmp_path: Path):
    path = tmp_path / "c.pdf"
    path.write_bytes(make_pdf())
    assert check(path, "c.pdf", **LIMITS).content_type == "application/pdf"


def test_an_empty_file_is_refused():
    assert refusal(b"") == "empty"


def test_a_file_over_the_size_limit_is_refused():
    assert refusal(make_pdf(), max_bytes=100) == "too_large"


def test_a_word_document_behind_a_pdf_name_is_a_type_mismatch():
    assert refusal(b"PK\x03\x04word/document.xml" + b"\0" * 100, "invoice.pdf") == "type_mismatch"


def test_an_unknown_type_under_another_name_is_unsupported():
    assert refusal(b"GIF89a" + b"\0" * 100, "logo.gif") == "unsupported_type"


def test_a_pdf_that_needs_a_password_is_refused_as_encrypted():
    assert refusal(make_pdf(owner_password="o", user_password="u")) == "encrypted"


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted():
    # Permission-only encryption (no open password) is common on bank statements and
    # readable by OCR, so it is not refused.
    assert check(make_pdf(owner_password="o"), "c.pdf", **LIMITS).pages == 1


def test_a_truncated_pdf_is_refused_as_corrupt():
    data = make_pdf()
    assert refusal(data[: len(data) // 2]) == "corrupt"


def test_a_pdf_whose_page_tree_is_broken_opens_but_is_refused_as_corrupt():
    broken = make_pdf().replace(b"/Kids", b"/Kidz")  # same length: xref offsets stay valid
    assert refusal(broken) == "corrupt"


def test_a_pdf_header_followed_by_garbage_is_corrupt():
    assert refusal(b"%PDF-1.7\n" + b"\x00garbage" * 50) == "corrupt"


def test_an_image_claiming_ten_billion_pixels_is_refused_as_a_bomb():
    assert refusal(png_bomb(), "scan.png") == "decompression_bomb"


def test_an_image_over_the_configured_pixel_limit_is_refused_as_a_bomb():
    assert refusal(make_png(100, 100), "scan.png", max_image_pixels=5000) == "decompression_bomb"


def test_a_png_with_a_broken_checksum_is_corrupt():
    data = bytearray(make_png())
    data[-20] ^= 0xFF  # inside IDAT: CRC no longer matches
    assert refusal(bytes(data), "scan.png") == "corrupt"


def test_sniff_finds_a_pdf_header_after_leading_junk():
    assert sniff(b"\r\n\xef\xbb\xbf%PDF-1.4") == "application/pdf"


MAGICS = [b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*"]


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(MAGICS), body=st.binary(max_size=2048),
       name=st.sampled_from(["a.pdf", "b.png", "c", "d.tif"]))
def test_arbitrary_bytes_are_accepted_or_refused_with_a_known_reason_never_crash(prefix, body, name):
    try:
        checked = check(prefix + body, name, **LIMITS)
    except CaptureError as exc:
        assert exc.reason in REASONS
    else:
        assert checked.content_type == sniff(prefix + body)


_VALID = make_pdf("Fuzz me")


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=20))
def test_a_valid_pdf_with_flipped_bytes_never_crashes_the_check(flips):
    data = bytearray(_VALID)
    for pos, val in flips:
        data[pos] = val
    try:
        check(bytes(data), "x.pdf", **LIMITS)
    except CaptureError as exc:
        assert exc.reason in REASONS
