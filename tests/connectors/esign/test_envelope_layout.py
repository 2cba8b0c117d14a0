"""Envelopes built from the document (issue 15, item 4): signature and date tabs beside
the anchor text the layout really has, locked pre-filled values, several signers in
routing order, and recipient authentication per document type, sent to each provider's
fake, which validates every request against the vendor's published spec."""

from __future__ import annotations

import base64

import httpx
import pytest

from connectors.esign import EnvelopeRequest, Recipient
from connectors.esign.acrobat_sign import AcrobatSign
from connectors.esign.docusign import DocuSign
from connectors.esign.dropbox_sign import DropboxSign
from connectors.esign.layout import find_text, place_tabs
from fakes.esign_acrobat_sign import FakeAcrobatSign
from fakes.esign_docusign import FakeDocuSign
from fakes.esign_dropbox_sign import FakeDropboxSign
from fakes.esign_specs import acrobat_sign_errors, docusign_errors, dropbox_sign_errors
from inkstream.errors import EsignError

ANCHORS = ["Signature", "Signed by", "Unterschrift", "Signature du client"]


def contract_pdf(lines_per_page: list[list[tuple[float, float, str]]]) -> bytes:
    """A text-layer PDF: each page a list of (x, y from top, text) in points (US Letter)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="letter")
    pdf.set_font("Helvetica", size=11)
    for lines in lines_per_page:
        pdf.add_page()
        for x, y, text in lines:
            pdf.text(x, y, text)
    return bytes(pdf.output())


# Two pages; the client signs in French at the bottom of page 2, the vendor above it.
PDF = contract_pdf([
    [(72, 100, "Master services agreement"), (72, 140, "Client: Acme SARL"), (72, 160, "Total amount:"),
     (72, 180, "Effective date:")],
    [(72, 500, "Signed by: Northwind Ltd"), (300, 640, "Signature du client:")],
])


def test_anchor_text_is_found_where_the_page_has_it():
    [hit] = find_text(PDF, "Signature du client")
    assert hit.page == 2 and 295 < hit.left < 305 and 628 < hit.top < 641
    assert find_text(PDF, "Unterschrift") == []


def test_each_signer_signs_beside_its_own_anchor_and_shared_anchors_go_in_document_order():
    tabs = place_tabs(PDF, signer_anchors=["Signature du client", None], anchors=ANCHORS,
                      prefill=[("Amount", "12500.00", "Total amount:"), ("Start", "2026-12-01", "Not on the page")])
    sign = {t.recipient: t for t in tabs if t.kind == "signature"}
    date = {t.recipient: t for t in tabs if t.kind == "date"}
    client_hit, = find_text(PDF, "Signature du client")
    vendor_hit, = find_text(PDF, "Signed by")
    # signer 0 (the client) beside "Signature du client", signer 1 beside "Signed by" — not
    # at a bare "Signature" inside the French anchor.
    assert (sign[0].page, sign[1].page) == (2, 2)
    assert sign[0].x >= client_hit.right and abs(sign[0].y - client_hit.top) < 20
    assert sign[1].x >= vendor_hit.right and abs(sign[1].y - vendor_hit.top) < 20
    assert sign[0].anchor == "Signature du client" and sign[1].anchor == "Signed by"
    for i in (0, 1):  # the date: right of the signature, or under it where the page ends first
        assert date[i].page == sign[i].page and date[i].x + date[i].width <= 612
        beside = date[i].x >= sign[i].x + sign[i].width and abs(date[i].y - sign[i].y) < sign[i].height
        below = date[i].x == sign[i].x and date[i].y >= sign[i].y + sign[i].height
        assert beside or below, (date[i], sign[i])
    assert sign[1].x + sign[1].width + 90 < 612 and date[1].x > sign[1].x  # room on the vendor's row
    amount, start = [t for t in tabs if t.kind == "text"]
    total_hit, = find_text(PDF, "Total amount:")
    assert (amount.page, amount.value, amount.label) == (1, "12500.00", "Amount") and amount.x >= total_hit.right
    assert start.page == 2 and start.y > 700  # label not on the page: the last page's footer


def test_a_scan_without_a_text_layer_gets_one_box_per_signer_on_the_last_page():
    scan = contract_pdf([[], []])
    tabs = place_tabs(scan, signer_anchors=[None, None], anchors=ANCHORS, prefill=[])
    sign = [t for t in tabs if t.kind == "signature"]
    assert [t.page for t in sign] == [2, 2] and sign[0].y != sign[1].y and all(t.anchor is None for t in sign)


def _request(*recipients: Recipient, prefill=(("Amount", "12500.00", "Total amount:"),)) -> EnvelopeRequest:
    tabs = place_tabs(PDF, signer_anchors=["Signature du client"] + [None] * (len(recipients) - 1), anchors=ANCHORS,
                      prefill=list(prefill))
    return EnvelopeRequest(doc_id="doc-7", idempotency_key="key-7", title="Please sign", pdf=PDF,
                           recipients=recipients, tabs=tabs)


CLIENT = Recipient("Camille Dupont", "camille@acme.example", routing_order=1)
VENDOR = Recipient("Nora North", "nora@northwind.example", routing_order=2)


def test_docusign_envelope_carries_anchored_sign_and_date_tabs_locked_prefill_and_routing_order():
    fake = FakeDocuSign()
    client = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                      account_id=fake.account_id, access_token=fake.token)
    created = client.create_envelope(_request(CLIENT, VENDOR))
    body = fake.envelopes[created.envelope_id]
    assert docusign_errors("envelopeDefinition", body) == []
    client_signer, vendor_signer = body["recipients"]["signers"]
    assert (client_signer["routingOrder"], vendor_signer["routingOrder"]) == ("1", "2")
    [sign] = client_signer["tabs"]["signHereTabs"]
    assert sign["anchorString"] == "Signature du client" and int(sign["anchorXOffset"]) > 50
    assert vendor_signer["tabs"]["signHereTabs"][0]["anchorString"] == "Signed by"
    assert client_signer["tabs"]["dateSignedTabs"][0]["anchorString"] == "Signature du client"
    [amount] = client_signer["tabs"]["textTabs"]
    assert (amount["tabLabel"], amount["value"], amount["locked"]) == ("Amount", "12500.00", "true")
    assert "textTabs" not in vendor_signer["tabs"]
    assert base64.b64decode(body["documents"][0]["documentBase64"]) == PDF


def test_docusign_places_by_position_when_an_anchor_is_not_unique():
    twice = contract_pdf([[(72, 600, "Signature:"), (72, 700, "Signature:")]])
    tabs = place_tabs(twice, signer_anchors=[None, None], anchors=ANCHORS, prefill=[])
    fake = FakeDocuSign()
    client = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                      account_id=fake.account_id, access_token=fake.token)
    request = EnvelopeRequest(doc_id="d", idempotency_key="k", title="t", pdf=twice, recipients=(CLIENT, VENDOR), tabs=tabs)
    body = fake.envelopes[client.create_envelope(request).envelope_id]
    first, second = (s["tabs"]["signHereTabs"][0] for s in body["recipients"]["signers"])
    assert "anchorString" not in first and (first["pageNumber"], second["pageNumber"]) == ("1", "1")
    assert int(first["yPosition"]) < int(second["yPosition"])  # one box per "Signature:" line, in order


def test_dropbox_sign_request_carries_form_fields_per_signer_and_prefilled_merge_fields():
    fake = FakeDropboxSign()
    client = DropboxSign(httpx.Client(transport=fake.transport()),
                         api_key="324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782")
    created = client.create_envelope(_request(CLIENT, VENDOR))
    form = fake.requests[created.envelope_id]["form"]
    assert dropbox_sign_errors("SignatureRequestSendRequest", form) == []
    assert [(s["email_address"], s["order"]) for s in form["signers"]] == [(CLIENT.email, 0), (VENDOR.email, 1)]
    fields = form["form_fields_per_document"]
    by_kind = {(f["type"], f["signer"]) for f in fields}
    assert {("signature", "0"), ("date_signed", "0"), ("signature", "1"), ("date_signed", "1"), ("text-merge", "0")} == by_kind
    client_sig = next(f for f in fields if f["type"] == "signature" and f["signer"] == "0")
    hit, = find_text(PDF, "Signature du client")
    assert client_sig["page"] == 2 and client_sig["x"] >= hit.right - 1
    merge = next(f for f in fields if f["type"] == "text-merge")
    assert form["custom_fields"] == [{"name": merge["api_id"], "value": "12500.00"}]


def test_acrobat_sign_agreement_gets_its_form_fields_while_authoring_then_goes_out():
    fake = FakeAcrobatSign()
    client = AcrobatSign(httpx.Client(transport=fake.transport()), base_url="https://api.na1.adobesign.com",
                         access_token=fake.token)
    created = client.create_envelope(_request(CLIENT, VENDOR))
    info = fake.agreements[created.envelope_id]
    assert acrobat_sign_errors("AgreementInfo", info) == [] and info["state"] == "AUTHORING"
    assert [(p["memberInfos"][0]["email"], p["order"]) for p in info["participantSetsInfo"]] == \
        [(CLIENT.email, 1), (VENDOR.email, 2)]
    fields = fake.form_fields[created.envelope_id]
    assert acrobat_sign_errors("FormFieldPutInfo", {"fields": fields}) == []
    sets = {s["memberInfos"][0]["email"]: s["id"] for s in fake._sets(created.envelope_id)}
    signatures = {f["assignee"]: f for f in fields if f["contentType"] == "SIGNATURE"}
    assert set(signatures) == {sets[CLIENT.email], sets[VENDOR.email]}
    client_sig = signatures[sets[CLIENT.email]]["locations"][0]
    hit, = find_text(PDF, "Signature du client")
    # FormFieldLocation.top counts from the page bottom (792 pt high).
    assert client_sig["pageNumber"] == 2 and abs((792 - client_sig["top"]) - hit.top) < 20
    [amount] = [f for f in fields if f["contentType"] == "DATA"]
    assert (amount["defaultValue"], amount["readOnly"], amount["assignee"]) == ("12500.00", True, "NOBODY")
    assert fake.status[created.envelope_id] == "OUT_FOR_SIGNATURE"


# Recipient authentication per provider: what the vendor's spec offers is sent (and the
# fake validates it); what it does not offer is refused, never silently dropped.
AUTH_CASES = [
    ("docusign", "sms", {"idCheckConfigurationName": "SMS Auth $"}),
    ("docusign", "kba", {"idCheckConfigurationName": "ID Check $"}),
    ("docusign", "idv", {"identityVerification": {"workflowId": "c368e411-1592-4001-a3df-dca94ac539ae"}}),
    ("dropbox_sign", "sms", {"sms_phone_number": "+447700900123", "sms_phone_number_type": "authentication"}),
    ("dropbox_sign", "kba", None), ("dropbox_sign", "idv", None),
    ("acrobat_sign", "sms", {"securityOption": {"authenticationMethod": "PHONE"}}),
    ("acrobat_sign", "kba", {"securityOption": {"authenticationMethod": "KBA"}}),
    ("acrobat_sign", "idv", None),
]


@pytest.mark.parametrize("provider, auth, expected", AUTH_CASES)
def test_recipient_authentication_is_sent_as_each_vendor_spec_says_or_refused(provider, auth, expected):
    signer = Recipient("Camille Dupont", "camille@acme.example", auth=auth, phone="+447700900123")
    request = _request(signer, VENDOR)
    if provider == "docusign":
        fake = FakeDocuSign()
        client = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                          account_id=fake.account_id, access_token=fake.token,
                          idv_workflow_id="c368e411-1592-4001-a3df-dca94ac539ae")
        sent = lambda eid: fake.envelopes[eid]["recipients"]["signers"][0]  # noqa: E731
    elif provider == "dropbox_sign":
        fake = FakeDropboxSign()
        client = DropboxSign(httpx.Client(transport=fake.transport()),
                             api_key="324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782")
        sent = lambda eid: fake.requests[eid]["form"]["signers"][0]  # noqa: E731
    else:
        fake = FakeAcrobatSign()
        client = AcrobatSign(httpx.Client(transport=fake.transport()), base_url="https://api.na1.adobesign.com",
                             access_token=fake.token)
        sent = lambda eid: fake.agreements[eid]["participantSetsInfo"][0]["memberInfos"][0]  # noqa: E731
    if expected is None:
        with pytest.raises(EsignError, match="not offered"):
            client.create_envelope(request)
        return
    signer_sent = sent(client.create_envelope(request).envelope_id)
    for key, value in expected.items():
        got = signer_sent[key]
        assert (got | value == got) if isinstance(value, dict) else got == value, (key, got)


def test_docusign_id_verification_without_a_workflow_id_is_a_clear_error():
    fake = FakeDocuSign()
    client = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                      account_id=fake.account_id, access_token=fake.token)
    with pytest.raises(EsignError, match="idv_workflow_id"):
        client.create_envelope(_request(Recipient("C", "c@acme.example", auth="idv")))
    assert fake.envelopes == {}


def test_an_acrobat_agreement_left_in_authoring_by_a_crash_is_finished_not_resent():
    fake = FakeAcrobatSign()
    crash = {"armed": True}

    def handle(request: httpx.Request) -> httpx.Response:
        if crash["armed"] and request.url.path.endswith("/members"):
            crash["armed"] = False
            raise httpx.ConnectError("the process died here")
        return fake.handle(request)

    client = AcrobatSign(httpx.Client(transport=httpx.MockTransport(handle)), base_url="https://api.na1.adobesign.com",
                         access_token=fake.token)
    request = _request(CLIENT, VENDOR)
    with pytest.raises(EsignError):
        client.create_envelope(request)
    [agreement_id] = fake.agreements
    assert fake.status[agreement_id] == "AUTHORING"
    # The redelivered command asks before creating (as the dispatcher does): the same agreement, now sent.
    found = client.find_envelope(request)
    assert found.envelope_id == agreement_id and len(fake.agreements) == 1
    assert fake.status[agreement_id] == "OUT_FOR_SIGNATURE" and len(fake.form_fields[agreement_id]) == 5
