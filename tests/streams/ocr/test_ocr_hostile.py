"""Hostile files (issue 12, item 3): pages and images that are small on disk and enormous
once drawn get a pixel budget per page, a refusal before decoding, and a memory ceiling."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inkstream.errors import OcrError
from streams.ocr.hostile import huge_page_pdf, many_pages_pdf, png_declaring
from streams.ocr.limits import apply_memory_limit, current_limit_mb
from streams.ocr.raster import ImageTooLarge, PageLimitExceeded, PixelBudget, iter_pages, pdf_scale
from streams.ocr.testpages import text_pdf

BUDGET = PixelBudget()  # the defaults: 25 M px per page, 89.5 M px declared per image frame


def test_a_331_byte_pdf_with_a_7200_pt_page_is_rendered_within_the_budget_and_says_why():
    pdf = huge_page_pdf(7200)
    assert len(pdf) == 331
    [page] = iter_pages(pdf, dpi=200, max_pages=5, budget=BUDGET)
    assert page.width * page.height <= BUDGET.page
    assert page.image.shape == (page.height, page.width, 3) and page.image.flags["C_CONTIGUOUS"]
    assert page.dpi == 50  # 5000 px over 100 inches: the dpi the boxes are in
    assert "7200 x 7200 pt" in page.downscaled and "ocr.max_page_pixels=25,000,000" in page.downscaled
    assert int(page.image.min()) == 255  # blank page rendered white, not garbage


def test_an_ordinary_page_keeps_its_dpi_and_records_nothing():
    [page] = iter_pages(text_pdf([["Scanned? no: typed."]]), dpi=150, max_pages=5, use_text_layer=False)
    assert (page.dpi, page.downscaled) == (150, None)
    assert (page.width, page.height) == (1275, 1651)  # US letter at 150 dpi (PDFium rounds up)


def test_the_budget_is_a_setting_and_text_layer_boxes_follow_the_lowered_dpi():
    pdf = text_pdf([["Agreement No. MSA-2026-00001, typed on a text layer"]])
    full = next(iter_pages(pdf, dpi=200, max_pages=5))
    small = next(iter_pages(pdf, dpi=200, max_pages=5, budget=PixelBudget(page=500_000)))
    assert small.width * small.height <= 500_000 and small.downscaled
    ratio = small.width / full.width
    assert small.text_runs[0].text == full.text_runs[0].text
    assert small.text_runs[0].box[2] == pytest.approx(full.text_runs[0].box[2] * ratio, rel=0.01)


def test_a_degenerate_page_size_is_an_ocr_error():
    with pytest.raises(OcrError, match="not a drawable page"):
        pdf_scale(0.0, 7200.0, 200, BUDGET)
    with pytest.raises(OcrError, match="not a drawable page"):
        pdf_scale(float("inf"), 10.0, 200, BUDGET)


def test_a_40000_by_40000_png_is_refused_from_its_header_before_decoding():
    # Only 16 rows of data: a decoder that started would fail on truncated data instead.
    png = png_declaring(40000, 40000, rows=16)
    with pytest.raises(ImageTooLarge, match="refused before decoding"):
        next(iter_pages(png, dpi=200, max_pages=5, budget=BUDGET))


def test_an_image_over_ocr_max_image_pixels_is_refused_by_our_own_check():
    png = png_declaring(10000, 10000, rows=4)  # 100 M px: over 89.5 M, under Pillow's 179 M
    with pytest.raises(ImageTooLarge, match=r"10000 x 10000 = 100,000,000 pixels, over ocr.max_image_pixels"):
        next(iter_pages(png, dpi=200, max_pages=5, budget=BUDGET))


def test_a_png_bomb_under_the_ceiling_is_decoded_then_reduced_with_a_reason():
    png = png_declaring(8000, 6000)  # 48 M px, white: a few KB of data
    assert len(png) < 200_000
    [page] = iter_pages(png, dpi=300, max_pages=5, budget=BUDGET)
    assert page.width * page.height <= BUDGET.page
    assert page.dpi == round(300 * page.width / 8000)
    assert "8000 x 6000" in page.downscaled and "kept at" in page.downscaled


def test_a_large_jpeg_is_decoded_reduced_by_the_jpeg_decoder_itself():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (12000, 8000), "white").save(buf, format="JPEG", quality=50)  # 96 M px declared
    [page] = iter_pages(buf.getvalue(), dpi=200, max_pages=5, budget=BUDGET)
    assert (page.width, page.height) == (6000, 4000)  # draft mode: the DCT decodes at 1/2 scale
    assert "12000 x 8000" in page.downscaled


def test_many_pages_are_refused_before_any_is_rendered_and_pages_come_one_at_a_time():
    pdf = many_pages_pdf(5000, points=7200)  # 5000 x 400 M px if rendered naively
    with pytest.raises(PageLimitExceeded, match="5000 pages; the limit is 50"):
        next(iter_pages(pdf, dpi=200, max_pages=50, budget=BUDGET))
    pages = iter_pages(many_pages_pdf(3, points=7200), dpi=200, max_pages=50, budget=PixelBudget(page=1_000_000))
    first = next(pages)  # lazily: one bitmap at a time, each within the budget
    assert first.number == 1 and first.width * first.height <= 1_000_000


def test_the_memory_ceiling_turns_an_oversized_allocation_into_an_error_not_a_dead_host():
    code = ("import numpy as np\n"
            "from streams.ocr.limits import apply_memory_limit\n"
            "print(apply_memory_limit(400))\n"
            "try:\n    np.ones(800 * 1024 * 1024, np.uint8)\nexcept MemoryError:\n    print('MemoryError')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.split() == ["400", "MemoryError"], out.stderr
    assert apply_memory_limit(0) == current_limit_mb()  # 0 leaves the limit as it is


def test_the_review_renderer_uses_the_same_budget():
    from PIL import Image

    from streams.review.pages import render_page

    png = render_page(huge_page_pdf(7200), "application/pdf", 1, 200, BUDGET)
    img = Image.open(io.BytesIO(png))
    assert img.size == (4995, 4995) and np.asarray(img).min() == 255
    with pytest.raises(ImageTooLarge):
        render_page(png_declaring(40000, 40000, rows=16), "image/png", 1, 200, BUDGET)
    small = Image.open(io.BytesIO(render_page(png_declaring(8000, 6000), "image/png", 1, 200, BUDGET)))
    assert small.width * small.height <= BUDGET.page


def _ocr_cli(path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, int]:
    """``inkstream ocr PATH --json`` under a 1.5 GB memory ceiling; (process, its peak RSS in KB)."""
    exe = Path(sys.executable).with_name("inkstream")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INKSTREAM_OCR__MEMORY_LIMIT_MB": "1536",
           "INKSTREAM_OCR__REREAD_BELOW": "0"}
    probe = ("import resource, subprocess, sys\n"
             "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "sys.stderr.write(p.stderr); sys.stdout.write(p.stdout)\n"
             "print('MAXRSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
             "sys.exit(p.returncode)\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(exe), "ocr", str(path), "--json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    peak = int(proc.stderr.rsplit("MAXRSS", 1)[1].split()[0])
    return proc, peak


def test_inkstream_ocr_downscales_the_7200_pt_page_and_refuses_the_40000_px_png_under_1_5_gb(tmp_path):
    pdf, png = tmp_path / "page7200.pdf", tmp_path / "png40k.png"
    pdf.write_bytes(huge_page_pdf(7200))
    png.write_bytes(png_declaring(40000, 40000, rows=64))
    proc, peak = _ocr_cli(pdf, tmp_path)
    assert proc.returncode == 0, proc.stderr
    [page] = json.loads(proc.stdout)["pages"]
    assert page["dpi"] == 50 and "ocr.max_page_pixels" in page["downscaled"]
    assert peak < 1536 * 1024, f"peak RSS {peak} KB"
    proc, peak = _ocr_cli(png, tmp_path)
    assert proc.returncode == 2 and "refused before decoding" in proc.stderr
    assert peak < 1536 * 1024


def test_an_ocr_worker_process_applies_its_memory_ceiling_and_importers_do_not(settings, memstore, reader):
    from streams.ocr.processor import factory

    before = current_limit_mb()
    proc = factory(settings, store=memstore, reader=reader)
    assert proc.memory_limit_mb == settings.ocr.memory_limit_mb == 2048
    assert current_limit_mb() == before  # building the processor (tests, tools) changes nothing
    code = ("from inkstream.settings import load_settings\n"
            "from streams.ocr.limits import current_limit_mb\n"
            "from streams.runtime import workers\n"
            "workers.serve = lambda *a, **k: print('LIMIT', current_limit_mb())\n"
            "workers._child('ocr', load_settings(), 0, None, None)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": os.getcwd(), "INKSTREAM_OCR__MEMORY_LIMIT_MB": "1536"})
    assert "LIMIT 1536" in out.stdout, out.stderr[-2000:]


def test_the_review_process_applies_the_ceiling_and_serving_it_in_process_does_not():
    """`inkstream run review` (run_service) lowers its own RLIMIT_DATA; the review app's
    serve(), which tests call inside their own process, leaves the caller's limit alone."""
    code = ("from inkstream.settings import load_settings\n"
            "from streams.ocr.limits import current_limit_mb\n"
            "import streams.review.service as review\n"
            "from streams.services import run_service\n"
            "review.serve = lambda *a, **k: print('LIMIT', current_limit_mb())\n"
            "run_service('review', load_settings())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": os.getcwd(), "INKSTREAM_OCR__MEMORY_LIMIT_MB": "1536"})
    assert "LIMIT 1536" in out.stdout, out.stderr[-2000:]
    import inspect

    import streams.review.service as review

    assert "apply_memory_limit" not in inspect.getsource(review.serve)
