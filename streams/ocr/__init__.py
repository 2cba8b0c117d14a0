"""OCR stage: PP-OCR engines (ONNX, models shipped in installed packages), page
rasterisation, OpenCV preprocessing and the ``ocr`` processor.

Heavy modules (engines, OpenCV, pypdfium2) are imported by the submodules that need
them; importing ``streams.ocr`` itself is cheap.
"""

import os

# onnxruntime 1.31 ships 1DS telemetry on Linux: on first use it writes a persistent
# device id under ~/.cache/Microsoft/DeveloperTools and queues uploads to Microsoft.
# Documents are confidential and workers must write nothing under HOME, so opt out
# before any onnxruntime environment exists (the flag is latched at initialisation).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__all__ = ["engines", "preprocess", "raster", "reader", "processor", "testpages"]
