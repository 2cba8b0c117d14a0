"""A memory ceiling for processes that decode untrusted pages (OCR workers, ``inkstream
ocr``, the review server's page renderer).

RLIMIT_DATA rather than RLIMIT_AS: onnxruntime and glibc reserve address space they never
touch (thread stacks, malloc arenas mapped PROT_NONE), so an address-space cap fails
healthy workers; RLIMIT_DATA (Linux >= 4.7) counts private writable memory, which is what
a decompression bomb or a huge bitmap costs. Past it, NumPy/Pillow raise MemoryError and
PDFium fails the render; the raster module turns both into an OcrError (a DLQ record or
a 4xx), never a host swapping itself to death.

Only the soft limit is lowered, so a test process that calls this can raise it again.
"""

from __future__ import annotations

import logging
import resource

__all__ = ["apply_memory_limit", "current_limit_mb"]

log = logging.getLogger("inkstream.ocr")


def current_limit_mb() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
    return None if soft == resource.RLIM_INFINITY else soft // (1024 * 1024)


def apply_memory_limit(limit_mb: int) -> int | None:
    """Lower this process's RLIMIT_DATA soft limit to ``limit_mb`` (0 = leave it); never
    raises it. Returns the limit now in force, in MiB (None = unlimited)."""
    if limit_mb <= 0:
        return current_limit_mb()
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = limit_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or wanted < soft:
        resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
        log.info("memory ceiling: RLIMIT_DATA %d MiB (ocr.memory_limit_mb)", wanted // (1024 * 1024))
    return current_limit_mb()
