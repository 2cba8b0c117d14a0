"""OCR stage: PP-OCR engines (ONNX, models shipped in installed packages), page
rasterisation, OpenCV preprocessing and the ``ocr`` processor.

Heavy modules (engines, OpenCV, pypdfium2) are imported by the submodules that need
them; importing ``streams.ocr`` itself is cheap.
"""

__all__ = ["engines", "preprocess", "raster", "reader", "processor", "commands", "testpages"]
