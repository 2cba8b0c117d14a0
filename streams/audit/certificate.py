"""``inkstream audit certificate DOC_ID``: a completion certificate, JSON and PDF.

Everything in it comes from the document's hash chain in ``audit_events`` (not from the
analytics tables), and the chain is verified while the certificate is built: the
certificate says whether it was intact, and names the head hash it was built from, so
anyone can later check the certificate against the trail.

>>> cert = build_certificate(reader, "doc-1")          # doctest: +SKIP
>>> cert["signed"]["sha256"], cert["audit_chain"]["verified"]   # doctest: +SKIP
('9f86d0...', True)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from connectors.objectstore import ObjectStore
from inkstream.errors import InkstreamError
from streams.audit.chain import canonical_json, check_chain, sha256_hex
from streams.audit.store import Reader
from streams.audit.verify import _check_file, _erasure_link, _FileClaim, _heads, read_chain

__all__ = ["build_certificate", "render_pdf"]

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).isoformat(timespec="milliseconds")


def build_certificate(reader: Reader, doc_id: str, objects: ObjectStore | None = None) -> dict:
    rows = read_chain(reader, doc_id)
    if not rows:
        raise InkstreamError(f"no audit trail for document {doc_id!r}")
    erasure_seq, _ = _erasure_link(rows)  # erased payloads before an erasure link are not edits
    problems = check_chain(doc_id, rows, _heads(reader, [doc_id]).get(doc_id), erased_before=erasure_seq)
    events = [(r, json.loads(r["payload"])) for r in rows]
    document = _document(events)
    signed, signers = _signatures(events)
    if objects is not None:
        for role, ref, seq in _files(events):
            problems += _check_file(objects, _FileClaim(doc_id, seq, role, ref))
    cert: dict[str, Any] = {
        "certificate": "inkstream completion certificate", "version": 1, "doc_id": doc_id,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "completed": signed is not None,
        "document": document, "signed": signed, "signers": signers,
        "state_changes": [{"at": _iso(p.get("occurred_at")), "stage": p.get("stage"), "status": p.get("status"),
                           "detail": p.get("detail"), "by": (p.get("producer") or {}).get("name")}
                          for r, p in events if r["topic"] == "documents.status"],
        "events": [{"seq": r["seq"], "at": _iso(r["occurred_at_ms"]), "topic": r["topic"],
                    "producer": r["producer"], "event_id": r["event_id"], "hash": r["hash"]} for r, _ in events],
        "audit_chain": {"rows": len(rows), "head_seq": rows[-1]["seq"], "head_hash": rows[-1]["hash"],
                        "verified": not problems, "files_checked": objects is not None,
                        "problems": [str(p) for p in problems]},
    }
    if erasure_seq is not None:  # a data-subject request erased the document's personal data
        cert["erased"] = True
    cert["certificate_sha256"] = sha256_hex(canonical_json(cert))
    return cert


def _document(events: list[tuple[dict, dict]]) -> dict | None:
    for row, p in events:
        if row["topic"].startswith("documents.ingested"):
            return {"filename": p.get("filename"), "source": p.get("source"), "ingested_at": _iso(p.get("occurred_at")),
                    "sha256": (p.get("original") or {}).get("sha256"), "original": p.get("original"),
                    "trace": p.get("trace")}
    return None


def _signatures(events: list[tuple[dict, dict]]) -> tuple[dict | None, list[dict]]:
    signed: dict[str, Any] | None = None
    signers: dict[str, dict[str, Any]] = {}
    for row, p in events:
        if row["topic"] != "esign.events":
            continue
        if p.get("signed"):
            signed = {"sha256": p["signed"].get("sha256"), "object": p["signed"], "provider": p.get("provider"),
                      "envelope_id": p.get("envelope_id"),
                      "completed_at": _iso(p.get("provider_time") or p.get("occurred_at"))}
        signer = p.get("signer") or {}
        if not signer:
            continue
        who = signer.get("email") or signer.get("name") or "unknown"
        entry = signers.setdefault(who, {"name": signer.get("name"), "email": signer.get("email"), "events": []})
        entry["events"].append({"event": p.get("event_type"), "at": _iso(p.get("provider_time") or p.get("occurred_at")),
                                "ip": signer.get("ip"), "user_agent": signer.get("user_agent"),
                                "auth_method": signer.get("auth_method")})
        if signer.get("signed_at") and "signed_at" not in entry:  # the first signature counts
            entry.update(signed_at=_iso(signer["signed_at"]), ip=signer.get("ip"),
                         user_agent=signer.get("user_agent"), auth_method=signer.get("auth_method"))
    return signed, list(signers.values())


def _files(events: list[tuple[dict, dict]]):
    from connectors.objectstore import ObjectRef

    for row, p in events:
        for role in ("original", "signed"):
            ref = p.get(role) if row["topic"] in ("documents.ingested", "documents.ingested.priority",
                                                  "esign.events") else None
            if isinstance(ref, dict) and ref.get("key"):
                yield role, ObjectRef.from_record(ref), row["seq"]


def render_pdf(cert: dict, path: Path) -> Path:
    """The certificate as a one-or-more-page PDF (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    family = "DejaVu" if _FONT.exists() else "Helvetica"
    if family == "DejaVu":
        pdf.add_font("DejaVu", fname=str(_FONT))
    text = (lambda s: str(s)) if family == "DejaVu" else (lambda s: str(s).encode("latin-1", "replace").decode("latin-1"))

    def heading(title: str) -> None:
        pdf.ln(3)
        pdf.set_font(family, size=12)
        pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=8)

    def line(label: str, value: Any) -> None:
        pdf.multi_cell(0, 4.5, text(f"{label}: {value if value is not None else '-'}"), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font(family, size=16)
    pdf.cell(0, 10, text("Completion certificate"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=8)
    line("Document", cert["doc_id"])
    line("Generated", cert["generated_at"])
    line("Status", "completed (signed)" if cert["completed"] else "not completed")
    doc = cert.get("document") or {}
    heading("Original document")
    for label, key in (("File", "filename"), ("Source", "source"), ("Ingested", "ingested_at"), ("SHA-256", "sha256")):
        line(label, doc.get(key))
    heading("Signed document")
    signed = cert.get("signed") or {}
    for label, key in (("SHA-256", "sha256"), ("Provider", "provider"), ("Envelope", "envelope_id"),
                       ("Completed", "completed_at")):
        line(label, signed.get(key))
    heading("Signers")
    for s in cert["signers"]:
        line(s.get("name") or s.get("email"), f"{s.get('email')}; signed {s.get('signed_at')}; IP {s.get('ip')}; "
                                             f"auth {s.get('auth_method')}; user agent {s.get('user_agent')}")
        for e in s["events"]:
            line(f"    {e['event']}", f"{e['at']} from {e['ip']}")
    heading("State changes")
    for c in cert["state_changes"]:
        line(c["at"], f"{c['stage']} {c['status']}" + (f" ({c['detail']})" if c.get("detail") else ""))
    heading("Audit trail")
    chain = cert["audit_chain"]
    line("Rows", chain["rows"])
    line("Head hash", f"seq {chain['head_seq']} {chain['head_hash']}")
    line("Chain verified", "yes" if chain["verified"] else "NO: " + "; ".join(chain["problems"]))
    for e in cert["events"]:
        line(f"  {e['seq']}", f"{e['at']} {e['topic']} by {e['producer']} ({e['hash'][:16]}...)")
    line("Certificate SHA-256", cert["certificate_sha256"])
    path = Path(path)
    pdf.output(str(path))
    return path
