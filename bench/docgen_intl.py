"""The demo's e-invoice and non-English invoice (``samples/``), drawn like bench/docgen.py's.

- ``make_facturx``: a Factur-X (EN 16931 profile) invoice: a visible page drawn with fpdf2 and
  the CII XML (UN/CEFACT D16B, written here from the same values) embedded by the ``factur-x``
  library, which checks it against the Factur-X EN 16931 XSD and makes the PDF/A-3 wrapper.
- ``make_rechnung``: a German digital invoice ("Rechnung", "Rechnungsnummer", "Gesamtbetrag",
  dates as 14.09.2026, amounts as 1.234,56 €), with no XML: only its text layer tells.

The labels are the values drawn, so they are the truth. ``bench/docgen.py --samples`` writes
both with the other samples.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from xml.sax.saxutils import escape

from bench.docgen import GenDoc, _Page

__all__ = ["make_facturx", "make_rechnung", "cii_xml"]

_ITEMS_EN = [("Document capture licence", 3, Decimal("1250.00")), ("Implementation day", 2, Decimal("980.00")),
             ("Support plan, monthly", 6, Decimal("145.50"))]
_ITEMS_DE = [("Lizenz Dokumentenerfassung", 2, Decimal("1480.00")), ("Einrichtung und Schulung (Tag)", 3,
                                                                        Decimal("920.00")),
             ("Wartungsvertrag, monatlich", 12, Decimal("89.90"))]


def _eu(amount: Decimal) -> str:
    """1234.5 -> '1.234,50' (German grouping)."""
    return f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _lines(items) -> tuple[list[dict], Decimal]:
    rows = [{"description": d, "quantity": str(q), "unit_price": f"{p:.2f}", "amount": f"{q * p:.2f}"}
            for d, q, p in items]
    return rows, sum((q * p for _, q, p in items), Decimal("0"))


def cii_xml(v: dict, items: list[dict]) -> bytes:
    """A CII D16B invoice (Factur-X / ZUGFeRD 2 EN 16931 profile) of the values ``v``."""
    def d102(day: dt.date) -> str:
        return f'<udt:DateTimeString format="102">{day:%Y%m%d}</udt:DateTimeString>'

    def party(tag: str, p: dict) -> str:
        return (f"<ram:{tag}><ram:Name>{escape(p['name'])}</ram:Name><ram:PostalTradeAddress>"
                f"<ram:PostcodeCode>{p['postcode']}</ram:PostcodeCode><ram:LineOne>{escape(p['street'])}</ram:LineOne>"
                f"<ram:CityName>{escape(p['city'])}</ram:CityName><ram:CountryID>{p['country']}</ram:CountryID>"
                f"</ram:PostalTradeAddress><ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{p['vat']}</ram:ID>"
                f"</ram:SpecifiedTaxRegistration></ram:{tag}>")

    lines = "".join(
        f"<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>{i}</ram:LineID>"
        f"</ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct><ram:Name>{escape(it['description'])}"
        f"</ram:Name></ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>"
        f"<ram:ChargeAmount>{it['unit_price']}</ram:ChargeAmount></ram:NetPriceProductTradePrice>"
        f"</ram:SpecifiedLineTradeAgreement><ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">"
        f"{it['quantity']}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement>"
        f"<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>"
        f"<ram:RateApplicablePercent>{v['rate']}</ram:RateApplicablePercent></ram:ApplicableTradeTax>"
        f"<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{it['amount']}</ram:LineTotalAmount>"
        f"</ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>"
        f"</ram:IncludedSupplyChainTradeLineItem>" for i, it in enumerate(items, 1))
    cur = v["currency"]
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
        'xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" '
        'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
        'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">'
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        "<ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
        "</rsm:ExchangedDocumentContext>"
        f"<rsm:ExchangedDocument><ram:ID>{v['number']}</ram:ID><ram:TypeCode>380</ram:TypeCode>"
        f"<ram:IssueDateTime>{d102(v['date'])}</ram:IssueDateTime></rsm:ExchangedDocument>"
        f"<rsm:SupplyChainTradeTransaction>{lines}"
        f"<ram:ApplicableHeaderTradeAgreement><ram:BuyerReference>{v['buyer_ref']}</ram:BuyerReference>"
        f"{party('SellerTradeParty', v['seller'])}{party('BuyerTradeParty', v['buyer'])}"
        "</ram:ApplicableHeaderTradeAgreement>"
        f"<ram:ApplicableHeaderTradeDelivery><ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>"
        f"{d102(v['date'])}</ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>"
        "</ram:ApplicableHeaderTradeDelivery>"
        f"<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>{cur}</ram:InvoiceCurrencyCode>"
        "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>"
        f"<ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{v['iban']}</ram:IBANID>"
        "</ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>"
        f"<ram:ApplicableTradeTax><ram:CalculatedAmount>{v['tax']}</ram:CalculatedAmount><ram:TypeCode>VAT"
        f"</ram:TypeCode><ram:BasisAmount>{v['net']}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>"
        f"<ram:RateApplicablePercent>{v['rate']}</ram:RateApplicablePercent></ram:ApplicableTradeTax>"
        f"<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>{d102(v['due'])}</ram:DueDateDateTime>"
        "</ram:SpecifiedTradePaymentTerms>"
        f"<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{v['net']}</ram:LineTotalAmount>"
        f"<ram:TaxBasisTotalAmount>{v['net']}</ram:TaxBasisTotalAmount>"
        f"<ram:TaxTotalAmount currencyID=\"{cur}\">{v['tax']}</ram:TaxTotalAmount>"
        f"<ram:GrandTotalAmount>{v['total']}</ram:GrandTotalAmount>"
        f"<ram:DuePayableAmount>{v['total']}</ram:DuePayableAmount>"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>"
        "</rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>\n")
    return xml.encode()


def _items_table(page: _Page, items: list[dict], heads: tuple[str, ...], money) -> None:
    cols = (64, 330, 390, 480)
    y0 = page.y
    for x, head in zip(cols, heads):
        page.y = y0
        page.text(head, x=x, size=10, bold=True, dy=0)
    page.y = y0 + 22
    for it in items:
        y1 = page.y
        for x, value in zip(cols, (it["description"], it["quantity"], money(Decimal(it["unit_price"])),
                                   money(Decimal(it["amount"])))):
            page.y = y1
            page.text(value, x=x, size=10, dy=0)
        page.y = y1 + 20
    page.y += 10


def make_facturx() -> GenDoc:
    """A Factur-X EN 16931 invoice from a German supplier to a UK customer, page in English."""
    from facturx import generate_from_binary

    items, net = _lines(_ITEMS_EN)
    tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    total = net + tax
    date, due = dt.date(2026, 9, 14), dt.date(2026, 10, 14)
    seller = {"name": "Fabrikam GmbH", "street": "Industriestrasse 12", "postcode": "70173", "city": "Stuttgart",
              "country": "DE", "vat": "DE123456789"}
    buyer = {"name": "Northwind Traders Ltd", "street": "1 Harbour Road", "postcode": "BS1 4DJ",
             "city": "Bristol", "country": "GB", "vat": "GB980780684"}
    v = {"number": "FX-2026-0917", "date": date, "due": due, "currency": "EUR", "rate": "19.00", "net": f"{net:.2f}",
         "tax": f"{tax:.2f}", "total": f"{total:.2f}", "seller": seller, "buyer": buyer, "buyer_ref": "PO-88231",
         "iban": "DE89370400440532013000"}
    page = _Page("Helvetica")
    page.text("INVOICE", size=18, bold=True, dy=30)
    page.text(f"{seller['name']}  {seller['street']}, {seller['postcode']} {seller['city']}  VAT {seller['vat']}",
              size=9, dy=30)
    for label, value in (("Invoice No.", v["number"]), ("Invoice Date", "September 14, 2026"),
                         ("Due Date", "October 14, 2026")):
        page.text(f"{label}: {value}", size=11, dy=22)
    page.y += 8
    page.text("Bill To:", size=11, bold=True, dy=18)
    page.text(buyer["name"], size=11, dy=18)
    page.text(f"{buyer['street']}, {buyer['city']} {buyer['postcode']}  VAT {buyer['vat']}", size=10, dy=32)
    _items_table(page, items, ("Description", "Qty", "Unit Price", "Amount"), lambda a: f"{a:,.2f}")
    page.text(f"Subtotal: {net:,.2f}", x=330, size=10, dy=20)
    page.text(f"VAT 19%: {tax:,.2f}", x=330, size=10, dy=24)
    page.text(f"Total Due: EUR {total:,.2f}", x=330, size=12, bold=True, dy=34)
    page.text("IBAN DE89 3704 0044 0532 0130 00. This PDF carries its Factur-X (EN 16931) XML.", size=9, dy=20)
    xml = cii_xml(v, items)
    pdf = generate_from_binary(page.bytes(), xml, flavor="factur-x", level="en16931", check_xsd=True,
                               pdf_metadata={"author": "Fabrikam GmbH", "keywords": "Factur-X",
                                             "title": f"Invoice {v['number']}", "subject": f"Invoice {v['number']}"},
                               lang="en-GB")
    labels = {"invoice_number": v["number"], "invoice_date": date.isoformat(), "due_date": due.isoformat(),
              "total_amount": v["total"], "currency": "EUR", "customer": buyer["name"], "supplier": seller["name"],
              "supplier_vat_id": seller["vat"], "customer_vat_id": buyer["vat"], "subtotal_amount": v["net"],
              "tax_amount": v["tax"], "amount_due": v["total"], "iban": v["iban"]}
    return GenDoc("invoice-facturx", "invoice", pdf, labels, items, layout="facturx-en16931")


def make_rechnung() -> GenDoc:
    """A German invoice, digital: German labels, DD.MM.YYYY dates, 1.234,56 € amounts."""
    items, net = _lines(_ITEMS_DE)
    tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    total = net + tax
    date, due = dt.date(2026, 11, 3), dt.date(2026, 12, 3)
    number, customer = "RE-2026-4711", "Müller & Söhne KG"
    page = _Page("Helvetica")
    page.text("RECHNUNG", size=18, bold=True, dy=30)
    page.text("Inkstream Demo GmbH  Königstraße 40, 70173 Stuttgart  USt-IdNr. DE811907980", size=9, dy=30)
    for label, value in (("Rechnungsnummer", number), ("Rechnungsdatum", f"{date:%d.%m.%Y}"),
                         ("Fälligkeitsdatum", f"{due:%d.%m.%Y}")):
        page.text(f"{label}: {value}", size=11, dy=22)
    page.y += 8
    page.text("Rechnungsempfänger:", size=11, bold=True, dy=18)
    page.text(customer, size=11, dy=18)
    page.text("Hauptstraße 5, 80331 München", size=10, dy=32)
    _items_table(page, items, ("Beschreibung", "Menge", "Einzelpreis", "Betrag"), _eu)
    page.text(f"Zwischensumme: {_eu(net)} €", x=330, size=10, dy=20)
    page.text(f"MwSt. 19 %: {_eu(tax)} €", x=330, size=10, dy=24)
    page.text(f"Gesamtbetrag: {_eu(total)} €", x=330, size=12, bold=True, dy=34)
    page.text("Zahlbar innerhalb von 30 Tagen ohne Abzug. IBAN DE02 1203 0000 0000 2020 51", size=9, dy=20)
    labels = {"invoice_number": number, "invoice_date": date.isoformat(), "due_date": due.isoformat(),
              "total_amount": f"{total:.2f}", "currency": "EUR", "customer": customer}
    return GenDoc("invoice-rechnung", "invoice", page.bytes(), labels, items, layout="beside-de")
