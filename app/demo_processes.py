"""The processes ``inkstream demo`` starts: every processor of the deployment
(``streams.registry.PIPELINE``) and the two services the demo talks to, the webhook
gateway and the review page. The upload API is not among them: the demo ingests through
the capture code itself.
"""

from __future__ import annotations

from streams.registry import PIPELINE

__all__ = ["PROCESSES"]

_OCR_PORT = 9410  # one worker per core: 9410, 9411...
_FIRST_PORT = 9420  # the others, in PIPELINE's order; all away from the stack's ports
_SERVICES = {
    "webhooks": (["run", "webhooks", "--port", "8082"], 8082),
    "review": (["run", "review"], 8081),
}


def _processes() -> dict[str, tuple[list[str], int]]:
    out: dict[str, tuple[list[str], int]] = {}
    others = [name for name in PIPELINE if name != "ocr"]
    for name in PIPELINE:
        port = _OCR_PORT if name == "ocr" else _FIRST_PORT + others.index(name)
        out[name] = (["run", name, "--metrics-port", str(port)], port)
    return {**out, **_SERVICES}


# name -> (argv after `inkstream`, health port)
PROCESSES = _processes()
