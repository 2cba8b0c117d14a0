"""E-invoices read exactly: the XML is the invoice, the picture of it is not.

Three syntaxes carry the EN 16931 invoice model:
- UN/CEFACT CII D16B (``rsm:CrossIndustryInvoice``): Factur-X / ZUGFeRD 2.x embedded in a
  PDF/A-3, and XRechnung CII;
- ZUGFeRD 1.0 (``rsm:CrossIndustryDocument``, namespace ``urn:ferd:...``), still in circulation;
- OASIS UBL 2.1 ``Invoice`` / ``CreditNote``: Peppol BIS Billing 3.0 and XRechnung UBL.

The embedded file is taken out of the PDF with ``factur-x`` (the Akretion library the French
Factur-X standard points to); the XML is parsed with lxml, external entities and network off
(an invoice is untrusted input). Field paths follow the EN 16931 business terms (BT-1 invoice
number, BT-2 issue date, BT-9 due date, BT-5 currency, BT-112 total with VAT, ...).

>>> inv = read_xml(b'''<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
...   xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
...   xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
...   <cbc:ID>A-17</cbc:ID><cbc:IssueDate>2026-03-05</cbc:IssueDate>
...   <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
...   <cac:LegalMonetaryTotal><cbc:TaxInclusiveAmount currencyID="EUR">12.5</cbc:TaxInclusiveAmount>
...   </cac:LegalMonetaryTotal></Invoice>''')
>>> inv.syntax, inv.fields["invoice_number"], inv.fields["total_amount"], inv.fields["invoice_date"]
('ubl', 'A-17', '12.50', '2026-03-05')
"""

from __future__ import annotations

from inkstream.errors import EInvoiceError  # noqa: F401 - defined in the one error tree

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["EInvoice", "EInvoiceError", "read_xml", "from_pdf", "looks_like_xml", "FIELDS", "SOURCE",
           "einvoice_fields", "compare"]

SOURCE = "e-invoice"

# The fields an e-invoice gives, by the names the visual extractor uses where it has one.
FIELDS = ("invoice_number", "invoice_date", "due_date", "total_amount", "currency", "customer",
          "supplier", "supplier_vat_id", "customer_vat_id", "subtotal_amount", "tax_amount",
          "amount_due", "iban")

_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_FERD1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
_RAM12 = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
_UDT15 = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15"
_UBL_INV = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CN = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"

# UNTDID 1001 document type codes that are credit notes (381 credit note, 261/262/396/532 variants).
_CREDIT_CODES = {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}


@dataclass(frozen=True)
class EInvoice:
    syntax: str             # "cii" (Factur-X/ZUGFeRD 2/XRechnung CII), "zugferd1", "ubl"
    profile: str            # the guideline id (BT-24), e.g. "urn:cen.eu:en16931:2017"
    doc_type: str           # "invoice" or "credit_note"
    fields: dict[str, str] = field(default_factory=dict)  # normalized values, absent when not given
    line_items: list[dict] = field(default_factory=list)
    xml_name: str = ""      # the attachment's file name when it came out of a PDF


def looks_like_xml(data: bytes) -> bool:
    """True when ``data`` starts like an XML document (BOM and blanks allowed)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") or (head.startswith(b"<") and not head.startswith(b"<!DOCTYPE html"))


def _parse(data: bytes):
    from lxml import etree

    # No DTDs, no entities, no network: billion-laughs and XXE are refused, not expanded.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        return etree.fromstring(data.lstrip(b"\xef\xbb\xbf \t\r\n"), parser)
    except (etree.LxmlError, ValueError) as exc:  # syntax, encoding and parser errors alike
        raise EInvoiceError(f"not well-formed XML: {exc}") from exc


def _text(node, path: str, ns: dict, **variables) -> str | None:
    found = node.xpath(path, namespaces=ns, **variables)  # values as XPath variables, never spliced in
    for item in found:
        value = (item if isinstance(item, str) else (item.text or "")).strip()
        if value:
            return " ".join(value.split())
    return None


def _amount(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        value = Decimal(raw)
        return f"{value.quantize(Decimal('0.01')):f}" if value.is_finite() else None
    except (InvalidOperation, ValueError):  # not a number, or too large to hold
        return None


def _quantity(raw: str | None) -> str | None:
    try:
        value = None if raw is None else Decimal(raw)
        return f"{value.normalize():f}" if value is not None and value.is_finite() else None
    except (InvalidOperation, ValueError):
        return None


def _date(raw: str | None) -> str | None:
    """CII format 102 (YYYYMMDD) or ISO (UBL); anything else is left out, not guessed."""
    if raw is None:
        return None
    digits = raw.strip()
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", digits)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def _vat(node, party: str, ns: dict, cii: bool) -> str | None:
    if cii:
        return _text(node, f"{party}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", ns)
    return _text(node, f"{party}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID", ns)


def _cii(root, ns: dict, v1: bool) -> EInvoice:
    head = "rsm:HeaderExchangedDocument" if v1 else "rsm:ExchangedDocument"
    trade = "rsm:SpecifiedSupplyChainTradeTransaction" if v1 else "rsm:SupplyChainTradeTransaction"
    agreement = f"{trade}/ram:ApplicableSupplyChainTradeAgreement" if v1 else f"{trade}/ram:ApplicableHeaderTradeAgreement"
    settlement = f"{trade}/ram:ApplicableSupplyChainTradeSettlement" if v1 else f"{trade}/ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementMonetarySummation" if v1 else \
        f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    seller, buyer = f"{agreement}/ram:SellerTradeParty", f"{agreement}/ram:BuyerTradeParty"
    currency = _text(root, f"{settlement}/ram:InvoiceCurrencyCode", ns)
    # The tax total is given once per currency; the invoice currency's one is BT-110.
    tax = _text(root, f"{summation}/ram:TaxTotalAmount[@currencyID=$cur]", ns, cur=currency) if currency else None
    fields = {
        "invoice_number": _text(root, f"{head}/ram:ID", ns),
        "invoice_date": _date(_text(root, f"{head}/ram:IssueDateTime/udt:DateTimeString", ns)),
        "due_date": _date(_text(root, f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString", ns)),
        "currency": currency,
        "total_amount": _amount(_text(root, f"{summation}/ram:GrandTotalAmount", ns)),
        "subtotal_amount": _amount(_text(root, f"{summation}/ram:TaxBasisTotalAmount", ns)),
        "tax_amount": _amount(tax or _text(root, f"{summation}/ram:TaxTotalAmount", ns)),
        "amount_due": _amount(_text(root, f"{summation}/ram:DuePayableAmount", ns)),
        "supplier": _text(root, f"{seller}/ram:Name", ns),
        "customer": _text(root, f"{buyer}/ram:Name", ns),
        "supplier_vat_id": _vat(root, seller, ns, True),
        "customer_vat_id": _vat(root, buyer, ns, True),
        "iban": _text(root, f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/"
                            "ram:PayeePartyCreditorFinancialAccount/ram:IBANID", ns),
    }
    code = _text(root, f"{head}/ram:TypeCode", ns) or "380"
    # ZUGFeRD 1 names the context "SpecifiedExchangedDocumentContext"; CII D16B (ZUGFeRD 2,
    # Factur-X, XRechnung) "ExchangedDocumentContext".
    context = "rsm:SpecifiedExchangedDocumentContext" if v1 else "rsm:ExchangedDocumentContext"
    profile = _text(root, f"{context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", ns) or ""
    items = []
    line_path = f"{trade}/ram:IncludedSupplyChainTradeLineItem"
    for li in root.xpath(line_path, namespaces=ns):
        qty = _text(li, ".//ram:BilledQuantity", ns)
        items.append({"description": _text(li, "ram:SpecifiedTradeProduct/ram:Name", ns) or "",
                      "quantity": _quantity(qty),
                      "unit_price": _amount(_text(li, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount", ns)),
                      "amount": _amount(_text(li, ".//ram:LineTotalAmount", ns))})
    return _done("zugferd1" if v1 else "cii", profile, code, fields, items)


def _ubl(root, ns: dict, credit: bool) -> EInvoice:
    line_tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    qty_tag = "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity"
    supplier, customer = "cac:AccountingSupplierParty/cac:Party", "cac:AccountingCustomerParty/cac:Party"
    currency = _text(root, "cbc:DocumentCurrencyCode", ns)
    name = "cac:PartyLegalEntity/cbc:RegistrationName|{p}/cac:PartyName/cbc:Name"
    fields = {
        "invoice_number": _text(root, "cbc:ID", ns),
        "invoice_date": _date(_text(root, "cbc:IssueDate", ns)),
        "due_date": _date(_text(root, "cbc:DueDate|cac:PaymentMeans/cbc:PaymentDueDate", ns)),
        "currency": currency,
        "total_amount": _amount(_text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", ns)),
        "subtotal_amount": _amount(_text(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount", ns)),
        "tax_amount": _amount(_text(root, "cac:TaxTotal/cbc:TaxAmount[@currencyID=$cur]", ns, cur=currency)
                              if currency else _text(root, "cac:TaxTotal/cbc:TaxAmount", ns)),
        "amount_due": _amount(_text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount", ns)),
        "supplier": _text(root, f"{supplier}/" + name.format(p=supplier), ns),
        "customer": _text(root, f"{customer}/" + name.format(p=customer), ns),
        "supplier_vat_id": _vat(root, supplier, ns, False),
        "customer_vat_id": _vat(root, customer, ns, False),
        "iban": _text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", ns),
    }
    code = _text(root, "cbc:CreditNoteTypeCode", ns) if credit else _text(root, "cbc:InvoiceTypeCode", ns)
    profile = _text(root, "cbc:CustomizationID", ns) or ""
    items = []
    for li in root.xpath(line_tag, namespaces=ns):
        qty = _text(li, qty_tag, ns)
        items.append({"description": _text(li, "cac:Item/cbc:Name", ns) or "",
                      "quantity": _quantity(qty),
                      "unit_price": _amount(_text(li, "cac:Price/cbc:PriceAmount", ns)),
                      "amount": _amount(_text(li, "cbc:LineExtensionAmount", ns))})
    return _done("ubl", profile, code or ("381" if credit else "380"), fields, items)


def _compact(raw: str | None) -> str | None:
    """IBANs and VAT ids without the spaces printed for reading: DE88 2008 ... → DE882008..."""
    return re.sub(r"\s+", "", raw).upper() if raw else raw


def _done(syntax: str, profile: str, code: str, fields: dict, items: list[dict]) -> EInvoice:
    for k in ("iban", "supplier_vat_id", "customer_vat_id"):
        fields[k] = _compact(fields.get(k))
    kept = {k: v for k, v in fields.items() if v}
    if not kept.get("invoice_number") and not kept.get("total_amount"):
        raise EInvoiceError(f"{syntax} XML without an invoice number or a total")
    doc_type = "credit_note" if code.strip() in _CREDIT_CODES else "invoice"
    return EInvoice(syntax, profile, doc_type, kept, items)


def read_xml(data: bytes, *, xml_name: str = "") -> EInvoice:
    """Any of the three syntaxes; EInvoiceError when the XML is none of them."""
    root = _parse(data)
    ns_uri = root.tag.split("}")[0].lstrip("{") if root.tag.startswith("{") else ""
    local = root.tag.split("}")[-1]
    if local == "CrossIndustryInvoice" and ns_uri == _CII:
        inv = _cii(root, {"rsm": _CII, "ram": _RAM, "udt": _UDT}, v1=False)
    elif local == "CrossIndustryDocument" and ns_uri == _FERD1:
        inv = _cii(root, {"rsm": _FERD1, "ram": _RAM12, "udt": _UDT15}, v1=True)
    elif local in ("Invoice", "CreditNote") and ns_uri in (_UBL_INV, _UBL_CN):
        inv = _ubl(root, {"cbc": _CBC, "cac": _CAC}, credit=local == "CreditNote")
    else:
        raise EInvoiceError(f"XML root {local!r} is not a CII, ZUGFeRD 1 or UBL invoice")
    if xml_name:
        inv = EInvoice(inv.syntax, inv.profile, inv.doc_type, inv.fields, inv.line_items, xml_name)
    return inv


def from_pdf(data: bytes) -> EInvoice | None:
    """The invoice embedded in a Factur-X / ZUGFeRD / XRechnung PDF, or None when it has none.

    A PDF whose attachment is there but unreadable raises EInvoiceError (it claims to be an
    e-invoice; silently falling back to the picture would hide that)."""
    import logging

    if not _has_attachments(data):
        return None  # most PDFs: no second parser (pypdf, inside factur-x) runs over them
    from facturx import get_xml_from_pdf

    # factur-x logs the whole XML at INFO level; keep invoice contents out of the logs.
    logging.getLogger("factur-x").setLevel(logging.WARNING)
    try:
        name, xml = get_xml_from_pdf(data, check_xsd=False)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken PDFs; the visual path still reads it
        logging.getLogger(__name__).debug("no e-invoice attachment: %s", type(exc).__name__)
        return None
    if not xml:
        return None
    return read_xml(xml, xml_name=name or "")


def _has_attachments(data: bytes) -> bool:
    """Whether the PDF has embedded files, asked of PDFium (which reads every page anyway)."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return False
    try:
        return doc.count_attachments() > 0
    finally:
        doc.close()


def einvoice_fields(inv: EInvoice) -> list[dict]:
    """The e-invoice's values as extraction fields: exact, accepted, ``source: e-invoice``."""
    return [{"name": k, "value": v, "normalized": v, "confidence": 1.0, "status": "accept",
             "page": None, "box": None, "reason": None, "source": SOURCE}
            for k, v in inv.fields.items() if k in FIELDS]


def compare(inv: EInvoice, visual: list[dict]) -> list[dict]:
    """Disagreements between the XML and the visual reading of the same document.

    Only fields both give are compared; each disagreement names the field, both values and
    the visual value's page/box, so the reviewer sees where the picture differs from the data.
    """
    out = []
    for f in visual:
        want = inv.fields.get(f["name"])
        got = f.get("normalized")
        if want is None or got is None:
            continue
        if f["name"] in ("customer", "supplier"):
            same = _fold(want) == _fold(got)
        elif f["name"] in ("iban", "supplier_vat_id", "customer_vat_id"):
            same = _compact(want) == _compact(got)
        else:
            same = want == got
        if not same:
            out.append({"field": f["name"], "e_invoice": want, "visual": got,
                        "page": f.get("page"), "box": f.get("box")})
    return out


def _fold(s: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", s.casefold()).split())


# A picture that disagrees with its XML on these is a document to look at (a PDF whose visible
# total differs from its data is a known fraud and error pattern); other differences are reported.
_MUST_AGREE = ("invoice_number", "total_amount", "currency")


def merge(result: dict, inv: EInvoice, pages: list[dict] | None = None) -> dict:
    """The extraction of a document that carries an e-invoice: the XML's values win.

    ``result`` is the visual extraction (``extract()``'s dict; for a plain XML file it has no
    fields). Fields the XML gives come from it (exact, ``accept``, ``source: e-invoice``),
    keeping the visual page and box where the picture agrees so the review page can point at it;
    visual fields the XML lacks are kept as they were. ``einvoice_checks`` lists every
    disagreement: a visual value that differs, and (with ``pages``) an XML number or total that
    the page does not print at all, in any usual spelling. A disagreement on an accepted visual
    reading of the number, total or currency, or a number or total missing from an exact text
    layer, sends the document to review with the reason on the field.
    """
    visual = [dict(f) for f in result.get("fields") or []]
    disagreements = compare(inv, [f for f in visual if f.get("status") != "reject"])
    statuses = {f["name"]: f.get("status") for f in visual}
    blocking = {d["field"] for d in disagreements if d["field"] in _MUST_AGREE and statuses.get(d["field"]) == "accept"}
    for d in _unprinted(inv, pages or []):
        if d.pop("exact"):  # an exact text layer that never prints the XML's value: look at it
            blocking.add(d["field"])
        if d["field"] not in {x["field"] for x in disagreements}:
            disagreements.append(d)
    differs = {d["field"]: d for d in disagreements}
    by_name = {f["name"]: f for f in visual}
    fields = []
    for f in einvoice_fields(inv):
        seen = by_name.pop(f["name"], None)
        if seen is not None and f["name"] not in differs:
            f["page"], f["box"] = seen.get("page"), seen.get("box")
            f["reason"] = "e-invoice XML; the page agrees"
        elif f["name"] in differs:
            shown = differs[f["name"]]["visual"]
            f["reason"] = (f"e-invoice XML; the page shows {shown!r}" if shown is not None
                           else "e-invoice XML; not printed on the page")
        else:
            f["reason"] = "e-invoice XML"
        if f["name"] in blocking:
            f["status"] = "review"
        fields.append(f)
    fields.extend(by_name.values())
    return {**result, "doc_type": inv.doc_type, "status": "review" if blocking else "accepted", "fields": fields,
            "line_items": ([{**li, "confidence": 1.0, "page": None, "box": None} for li in inv.line_items]
                           or result.get("line_items") or []),
            "einvoice": {"syntax": inv.syntax, "profile": inv.profile, "xml_name": inv.xml_name},
            "einvoice_checks": disagreements}


def _spellings(amount: str) -> set[str]:
    """How a page may print an amount, without spaces: 1021.91 → 1.021,91, 1,021.91, 1'021.91 ..."""
    whole, _, cents = amount.lstrip("-").partition(".")
    grouped = f"{int(whole):,}"
    forms = {f"{whole}.{cents}", f"{whole},{cents}"}
    for sep in (",", ".", "'", ""):
        g = grouped.replace(",", sep)
        forms |= {f"{g}.{cents}", f"{g},{cents}"} if sep not in (".", ",") else {f"{g}{',' if sep == '.' else '.'}{cents}"}
    return forms


def _unprinted(inv: EInvoice, pages: list[dict]) -> list[dict]:
    """The XML's invoice number and total, looked for in the page text (spaces ignored)."""
    texts = [(p, "".join("".join(ln.get("text", "").split()) for ln in p.get("lines") or [])) for p in pages]
    texts = [(p, t) for p, t in texts if t]
    if not texts:
        return []  # nothing printed to compare with (a plain XML file, or an unreadable scan)
    exact = all(p.get("text_source") == "text_layer" for p, _ in texts)
    page_text = "".join(t for _, t in texts)
    out = []
    number, total = inv.fields.get("invoice_number"), inv.fields.get("total_amount")
    if number and "".join(number.split()) not in page_text:
        out.append({"field": "invoice_number", "e_invoice": number, "visual": None, "page": None, "box": None,
                    "exact": exact})
    if total and not any(form in page_text for form in _spellings(total)):
        out.append({"field": "total_amount", "e_invoice": total, "visual": None, "page": None, "box": None,
                    "exact": exact})
    return out


def for_ocr_record(data: bytes) -> dict | None:
    """The ``einvoice`` value of an ``ocr.results`` record for these document bytes.

    A plain XML file must be an invoice (raises EInvoiceError otherwise: capture already
    refuses other XML, so this is a DLQ case). A PDF without an attachment gives None; a PDF
    whose attachment cannot be read gives the error and no fields (its pages are still read).
    """
    if looks_like_xml(data):
        inv = read_xml(data)
    elif data[:1024].find(b"%PDF-") >= 0:
        try:
            inv = from_pdf(data)
        except EInvoiceError as exc:
            return {"syntax": "", "profile": "", "doc_type": "invoice", "xml_name": "", "fields": {},
                    "line_items": [], "error": str(exc)[:500]}
    else:
        return None
    if inv is None:
        return None
    return {"syntax": inv.syntax, "profile": inv.profile, "doc_type": inv.doc_type, "xml_name": inv.xml_name,
            "fields": dict(inv.fields), "line_items": list(inv.line_items), "error": None}


def from_record(value: dict | None) -> EInvoice | None:
    """The EInvoice carried by an ``ocr.results`` record (None when absent or unreadable)."""
    if not value or value.get("error") or not value.get("fields"):
        return None
    return EInvoice(value["syntax"], value.get("profile") or "", value["doc_type"], dict(value["fields"]),
                    [dict(li) for li in value.get("line_items") or []], value.get("xml_name") or "")


def extract_document(ocr_record: dict, extraction, *, version: str | None = None, **options) -> dict:
    """Visual extraction (``extract``, with its options such as ``memory``), then the
    e-invoice's exact values over it when the record has one."""
    from streams.extract.extractor import extract

    result = extract(ocr_record, extraction, version=version, **options)
    inv = from_record(ocr_record.get("einvoice"))
    return merge(result, inv, ocr_record.get("pages")) if inv is not None else result
