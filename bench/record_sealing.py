"""What protecting personal data costs the codec: encode + decode of records in clear, with
their personal fields encrypted (today's default, ``schemas/field_encryption.py``), and
sealed whole (earlier releases, ``schemas/sealing.py``).

Records: a real ``ocr.results`` (a sample PDF read by the configured OCR engine, as the
OCR processor builds it), a ``documents.ingested`` from e-mail, an ``esign.events``, a
``documents.status``. For each, ``encode`` then ``decode`` in a loop, plain vs fields vs
sealed with a warm key cache (the steady state of a processor), in alternating rounds;
then the once-per-document costs: the first record of a new document (its key is made:
wrapped, written, fsynced) and opening one in a process that has not cached the key yet
(read + unwrap). Prints sizes and ratios to the plain codec (timings depend on the
machine; ratios less so).

    .venv/bin/python bench/record_sealing.py --rounds 5 [--pdf samples/contract-scanned.pdf]

Through the runtime on the broker, compare the CPU per record of two runs of
``bench/runtime_passthrough.py`` (5000 documents, one record each; keys cached while the
input was written expire after ``crypto.key_cache_seconds``, so later rounds also pay the
once-per-document key read, as a processor does for each new document)::

    INKSTREAM_CRYPTO__ENCRYPT_RECORDS=false .venv/bin/python bench/runtime_passthrough.py --records 5000
    INKSTREAM_CRYPTO__ENCRYPT_RECORDS=true  .venv/bin/python bench/runtime_passthrough.py --records 5000
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inkstream.crypto.datakeys import DocumentKeys  # noqa: E402
from inkstream.crypto.keyring import LocalKeyRing  # noqa: E402
from schemas.codec import Codec  # noqa: E402
from schemas.sealing import seal  # noqa: E402
from schemas.records import envelope  # noqa: E402


def ocr_result(pdf: Path, doc_id: str) -> dict:
    from inkstream.settings import load_settings
    from streams.ocr.reader import DocumentReader

    reader = DocumentReader.from_settings(load_settings().ocr)
    data = pdf.read_bytes()
    started = time.perf_counter()
    pages = reader.read(data)
    sha = hashlib.sha256(data).hexdigest()
    return {**envelope(doc_id, producer="ocr"), "source": "email",
            "original": {"bucket": "inkstream", "key": f"originals/{sha[:2]}/{sha}", "version_id": None,
                         "sha256": sha, "size_bytes": len(data), "content_type": "application/pdf"},
            "priority": "normal", "crm_ref": None, "engine": reader.engine_record(), "pages": pages,
            "duration_ms": int((time.perf_counter() - started) * 1000)}


def ingested(doc_id: str) -> dict:
    return {**envelope(doc_id, producer="capture.email"), "source": "email", "source_ref": "<m1@example.org>",
            "filename": "Rahul_Mehta_contract.pdf",
            "original": {"bucket": "inkstream", "key": "originals/ab/" + "ab" * 32, "version_id": None,
                         "sha256": "ab" * 32, "size_bytes": 48213, "content_type": "application/pdf"},
            "duplicate_of": None, "priority": "normal", "crm_ref": None,
            "email": {"sender": "rahul.mehta@umbrella-logistics.fr", "subject": "Signed contract, Rahul Mehta",
                      "message_id": "<m1@example.org>"},
            "metadata": {"channel": "sales"}}


def signed(doc_id: str) -> dict:
    return {**envelope(doc_id, producer="esign"), "provider": "docusign", "envelope_id": "env-1",
            "event_type": "signed", "provider_event": "recipient-completed", "provider_event_id": "e1",
            "provider_time": None,
            "signer": {"name": "Rahul Mehta", "email": "rahul.mehta@umbrella-logistics.fr", "ip": "203.0.113.7",
                       "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                       "auth_method": "email", "signed_at": None},
            "signed": None, "payload_sha256": "00" * 32}


class Clear(Codec):
    """The baseline: Avro and nothing else (no key look-up on read, as before any protection)."""

    def __init__(self) -> None:
        super().__init__()
        self._plans = dict.fromkeys(self._plans)


class Sealed:
    """Whole-record sealing as earlier releases wrote it (``C5 01`` + ciphertext); today's
    codec still reads it."""

    def __init__(self, keys: DocumentKeys) -> None:
        self.keys, self.plain, self.reader = keys, Clear(), Codec(keys=keys)

    def encode(self, topic: str, record: dict) -> bytes:
        return seal(self.keys, topic, record["doc_id"], self.plain.encode(topic, record))

    def decode(self, data: bytes, topic: str | None = None) -> dict:
        return self.reader.decode(data, topic)


def status(doc_id: str) -> dict:
    return {**envelope(doc_id, producer="ocr"), "stage": "ocr", "status": "done", "detail": None}


def _loop(codec, topic: str, record: dict, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        codec.decode(codec.encode(topic, record), topic)
    return (time.perf_counter() - started) / n


def _new_doc() -> str:
    return f"{int(time.time() * 1000):012x}-{uuid.uuid4().hex[:20]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=ROOT / "samples" / "contract-digital.pdf")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold", type=int, default=200, help="new documents for the once-per-document costs")
    args = parser.parse_args()
    store = Path(tempfile.mkdtemp(prefix="inkstream-bench-keys-"))
    ring = LocalKeyRing(store / "keyring.json")
    keys = DocumentKeys(store / "documents", ring)
    plain = Clear()
    modes = {"fields": Codec(keys=keys, seal=True), "sealed": Sealed(keys)}
    doc = _new_doc()
    samples = {"ocr.results": ocr_result(args.pdf, doc), "documents.ingested": ingested(doc),
               "esign.events": signed(doc), "documents.status": status(doc)}
    print(f"sample PDF: {args.pdf.name}; {args.rounds} alternating rounds, medians; key store {store}")
    print(f"{'topic':<20} {'plain B':>8} {'fields B':>9} {'sealed B':>9}   encode+decode / plain: fields  sealed"
          "   fields / sealed: size  time")
    for topic, record in samples.items():
        size = len(plain.encode(topic, record))
        sizes = {m: len(c.encode(topic, record)) for m, c in modes.items()}
        n = max(100, min(20_000, 1_000_000 // size))
        for c in modes.values():
            _loop(c, topic, record, 20)  # the key is made and cached
        ratios: dict[str, list[float]] = {m: [] for m in modes}
        for _ in range(args.rounds):
            base = _loop(plain, topic, record, n)
            for m, c in modes.items():
                ratios[m].append(_loop(c, topic, record, n) / base)
        f, sd = (statistics.median(ratios[m]) for m in ("fields", "sealed"))
        print(f"{topic:<20} {size:>8} {sizes['fields']:>9} {sizes['sealed']:>9}   {'':>22}{f:>6.2f}  {sd:>6.2f}"
              f"   {'':>16}{sizes['fields'] / sizes['sealed']:>5.2f}  {f / sd:>4.2f}")
    # Once per document: its first record makes the key; a process's first read unwraps it.
    topic, docs = "documents.ingested", [_new_doc() for _ in range(args.cold)]
    base = _loop(plain, topic, ingested(docs[0]), args.cold * 5) / 2  # ~ one encode or one decode
    started = time.perf_counter()
    first = [modes["fields"].encode(topic, ingested(d)) for d in docs]
    make = (time.perf_counter() - started) / len(docs)
    fresh = DocumentKeys(store / "documents", LocalKeyRing(store / "keyring.json"))
    reader = Codec(keys=fresh)
    started = time.perf_counter()
    for data in first:
        reader.decode(data, topic)
    cold_read = (time.perf_counter() - started) / len(docs)
    print(f"first record of a new document (key made, fsynced) / plain encode : {make / base:.1f}")
    print(f"first read of a document in a process (key read, unwrapped) / plain decode : {cold_read / base:.1f}")

if __name__ == "__main__":
    main()
