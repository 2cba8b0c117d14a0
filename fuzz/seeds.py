"""Seed corpora for the harnesses: real files and vendor-shaped payloads, so the fuzzer
starts from deep inside each parser instead of guessing ``%PDF-`` or ``{"event":``.

``python -m fuzz.seeds {webhooks,mail,intake} DIR`` writes them to DIR. The e-sign vendors'
published samples (``shared/specs``: Acrobat Sign webhook payloads, Dropbox Sign callback
fixtures) are added when that tree is present; the rest is built here.
"""

from __future__ import annotations

import hashlib
import json
import sys
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = next((p for p in (ROOT / "shared" / "specs", ROOT.parent / "shared" / "specs", Path("/work/shared/specs"))
              if p.is_dir()), None)

# The harness keys (fuzz/webhooks.py signs with them); not secrets.
KEYS = {"docusign": "fuzz-connect-key", "dropbox_sign": "fuzz-dropbox-api-key", "acrobat_sign": "fuzz-client-id",
        "standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
NOW = 1_764_000_000.0
WEBHOOK_MODES = ("docusign", "dropbox_sign", "acrobat_sign", "standard")  # first byte % 8 picks; +4 = unsigned


def webhook_seeds() -> list[bytes]:
    from connectors.esign.simulate import SEQUENCES, SimSigner, build_request

    payloads: dict[str, list[bytes]] = {p: [] for p in WEBHOOK_MODES}
    for provider in WEBHOOK_MODES:
        for step in (*SEQUENCES[provider], "declined", "voided"):
            for signer in (SimSigner(), SimSigner(auth_method="sms")):
                req = build_request(provider, step, envelope_id="env-1", doc_id="doc-1", key=KEYS[provider],
                                    at=NOW, signer=signer, event_id="evt-1")
                body = req.content
                if provider == "dropbox_sign":  # the harness takes the form's json part, not the form
                    body = _form_json_part(req.content)
                payloads[provider].append(body)
    if SPECS is not None:
        for path in sorted((SPECS / "acrobat-sign" / "webhook-payloads").glob("*.json")):
            payloads["acrobat_sign"].append(path.read_bytes())
        for path in sorted((SPECS / "dropbox-sign" / "test_fixtures").glob("EventCallbackHelper_*.json")):
            for sample in json.loads(path.read_text()).values():
                payloads["dropbox_sign"].append(json.dumps(sample).encode())
    seeds = []
    for mode, provider in enumerate(WEBHOOK_MODES):
        for body in payloads[provider]:
            seeds.append(bytes([mode]) + body)           # signed: reaches the parser
            seeds.append(bytes([mode + 4]) + b"\n" * 3 + body)  # unsigned: header lines, then the body
    return seeds


def _form_json_part(form: bytes) -> bytes:
    start = form.index(b"\r\n\r\n") + 4
    return form[start:form.index(b"\r\n--", start)]


def mail_seeds() -> list[bytes]:
    from connectors.capture.testing import make_pdf, make_png

    seeds = []
    for attachments in ([("application", "pdf", "contract.pdf", make_pdf("Mailed contract"))],
                        [("image", "png", "scan.png", make_png(64, 64)), ("application", "pdf", "b.pdf", make_pdf("B"))],
                        [("application", "octet-stream", "scan.tiff", b"II*\x00" + b"\x00" * 64)], []):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "MFP 3 <mfp3@acme.test>", "inbox@inkstream.test", "Scan =?utf-8?q?caf=C3=A9?="
        msg["Message-ID"] = "<scan-0001@mfp3.acme.test>"
        msg.set_content("Please find the scan attached.")
        for maintype, subtype, name, data in attachments:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        seeds.append(msg.as_bytes())
    html = EmailMessage()
    html["From"], html["Subject"] = "a@b.test", "html only"
    html.set_content("<p>hi</p>", subtype="html")
    html.add_alternative("plain")
    seeds.append(html.as_bytes())
    return seeds


INTAKE_NAMES = ("a.pdf", "scan.png", "x.jpg", "y.tiff", "noext", "weird.PDF", "z.jpeg", "")


def intake_seeds() -> list[bytes]:
    from connectors.capture.testing import make_image, make_pdf, make_png

    files = [make_pdf("Fuzz contract", pages=2), make_png(), make_image("JPEG"), make_image("TIFF"),
             make_pdf(owner_password="o", user_password="u")]
    files += [p.read_bytes() for p in sorted((ROOT / "samples").glob("*-digital.pdf"))]
    # first byte % len(INTAKE_NAMES) names the file; the intake sniffs the content anyway
    return [bytes([i % len(INTAKE_NAMES)]) + data for data in files for i in range(4)]


SEEDS = {"webhooks": webhook_seeds, "mail": mail_seeds, "intake": intake_seeds}


def write(target: str, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    seeds = SEEDS[target]()
    for data in seeds:
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
    return len(seeds)


if __name__ == "__main__":
    print(write(sys.argv[1], Path(sys.argv[2])), "seeds")
