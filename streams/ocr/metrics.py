"""OCR metrics, built on a registry passed in (the worker's, see ``Processor.registry``).

>>> from prometheus_client import CollectorRegistry
>>> m = OcrMetrics.create(CollectorRegistry())
>>> m.document([{"text_source": "ocr"}, {"text_source": "text_layer"}], seconds=2.0)

Labels are the page's text source only (``ocr`` or ``text_layer``): never a doc id or
anything read from the page.
"""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["OcrMetrics"]

# A text-layer page takes milliseconds, a scanned page seconds on a small CPU.
_PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)


@dataclass(frozen=True)
class OcrMetrics:
    pages: Counter
    page_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "OcrMetrics":
        return cls(
            pages=Counter("inkstream_ocr_pages_total", "Pages read, by text source (ocr, text_layer).",
                          ["text_source"], registry=registry),
            page_seconds=Histogram("inkstream_ocr_page_seconds",
                                   "Seconds per page (fetch, rasterise and read of a document divided by its "
                                   "pages), by the document's slowest text source.",
                                   ["text_source"], buckets=_PAGE_BUCKETS, registry=registry),
        )

    def document(self, pages: list[dict], *, seconds: float) -> None:
        """Count a read document's pages and observe its time per page."""
        if not pages:
            return
        sources = Tally(p.get("text_source", "ocr") for p in pages)
        for source, n in sources.items():
            self.pages.labels(source).inc(n)
        # One scanned page dominates a document's time: attribute it to OCR then.
        slowest = "ocr" if "ocr" in sources else next(iter(sources))
        per_page = seconds / len(pages)
        child = self.page_seconds.labels(slowest)
        for _ in pages:
            child.observe(per_page)
