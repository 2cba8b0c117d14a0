"""Words documents are written in: labels of fields, cues of document types, and the
language and country a document is from (EN, DE, FR, NL, ES, IT, PL, PT).

Regex fragments, matched case-insensitively. Label lists put the longer, more specific
labels first so "Total TTC" wins over "Total" and "Rechnungsdatum" over "Datum".

>>> language_of("Rechnung Nr. 42 vom 01.02.2026, zahlbar bis 15.02.2026, Betrag netto und brutto")
'de'
>>> country_of("TVA intracommunautaire FR40303265045")
'FR'
"""

from __future__ import annotations

import re

__all__ = ["LABELS", "TYPE_CUES", "language_of", "country_of", "address_country", "DAY_FIRST_LANGUAGES",
           "COUNTRY_CURRENCY", "DOLLAR_SIGN_COUNTRIES", "US_STATE_NAMES", "VAT_ID", "IBAN", "TABLE_HEADER", "vat_id_valid", "vat_ids"]

LABELS: dict[str, str] = {
    "invoice_number": (
        r"Invoice\s*(?:No\.?|Number|Num\.?|Nr\.?|#|ID)|Invoice\s*Ref(?:erence)?\.?(?:\s*(?:No\.?|#))?|Credit\s*Note\s*(?:No\.?|Number|#)|Bill\s*(?:No\.?|Number|#)"
        # the short forms: "Inv. No.", "INV #", "Document No." (the document is the invoice)
        r"|Inv\.?\s*(?:No\.?|Number|Num\.?|#)|Document\s*(?:No\.?|Number|#)"
        r"|Rechnungs-?\s*(?:nummer|nr\.?)|Rechnung\s*(?:Nr\.?|Nummer)|Re\.?-?\s*Nr\.?|Gutschrifts-?\s*(?:nummer|nr\.?)|Beleg-?\s*(?:nummer|nr\.?)"
        r"|N\.?[°ºo]\.?\s*(?:de\s+)?facture|Num[ée]ro\s+(?:de\s+)?facture|Facture\s*(?:N[°ºo]\.?|num[ée]ro)|N[°ºo]\s*d'avoir"
        r"|Factuur\s*(?:nummer|nr\.?)|Factuurnummer|Creditnota\s*(?:nummer|nr\.?)"
        r"|N\.?[°ºo]\.?\s*(?:de\s+)?factura|N[úu]mero\s+(?:de\s+)?factura|Factura\s*(?:N\.?[°ºo]\.?|n[úu]m\.?|n[úu]mero)"
        # Portuguese "N.º Fatura", "Fatura n.º"; "Numero Documento" heads an Italian/Iberian
        # invoice's reference row (the document is the invoice)
        r"|N\.?[°ºo]\.?\s*(?:da\s+)?fatura|N[úu]mero\s+(?:da\s+)?fatura|Fatura\s*(?:N\.?[°ºo]\.?|n[úu]mero)"
        r"|N[úu]mero\s+(?:(?:de|do|di)\s+)?documento|N\.?[°º]\.?\s*(?:de\s+|do\s+)?documento"
        r"|Numero\s*(?:di\s+)?fattura|N\.?\s*fattura|Fattura\s*(?:N[°ºo.]\.?|numero|nr\.?)"
        r"|Numer\s+faktury|Nr\.?\s+faktury|Faktura\s+(?:VAT\s+)?(?:nr\.?|numer)"
        # Finnish, Swedish/Danish/Norwegian, Czech
        r"|Lasku(?:n)?\s*(?:nro|numero)|Fakturanummer|Fakturanr\.?|[ČC][íi]slo\s+fakt[úu]ry|Fakt[úu]ra\s+(?:č[íi]slo|č\.)"
        # Romanian "Nr. facturii", "Număr factură", "Factura nr."; Hungarian "Számla sorszáma", "Számlaszám"
        r"|Nr\.?\s+facturii|Num[ăa]r\s+factur[ăa]|Factur[ăa]\s+(?:nr\.?|num[ăa]r)|Sz[áa]mla\s+sorsz[áa]ma|Sz[áa]mlasz[áa]m"
        # Brazil: "NÚMERO DA NFS-e", "Número da Nota"
        r"|N[úu]mero\s+da\s+(?:NFS-?e|NF-?e|nota(?:\s+fiscal)?)"),
    # A credit note's own number (it also prints the number of the invoice it corrects).
    "credit_number": (
        r"Credit\s*(?:Note|Memo)\s*(?:No\.?|Number|#)|Gutschrifts?-?\s*(?:nummer|nr\.?)|Beleg-?\s*(?:nummer|nr\.?)"
        r"|Rechnungskorrektur\s*Nr\.?|Korrektur-?\s*Nr\.?|N[°ºo]\.?\s*d'avoir|Avoir\s*(?:N[°ºo]\.?|num[ée]ro)"
        # a shop's "Ticket d'avoir" (a return slip) numbers itself as a ticket
        r"|Num[ée]ro\s+de\s+ticket|N[°º]\.?\s*(?:de\s+)?ticket"
        r"|Creditnota\s*(?:nummer|nr\.?)|Nota\s+de\s+cr[ée]dito\s*(?:N[°ºo]\.?)|Nota\s+di\s+credito\s*(?:N[°ºo.]\.?|n\.)"
        r"|Faktura\s+koryguj[ąa]ca\s*(?:nr\.?)"),
    "invoice_date": (
        # one date for both (Amazon's EU invoices): "Invoice date / Delivery date", "Rechnungsdatum/Lieferdatum"
        r"(?:Invoice\s*date|Rechnungs-?\s?datum)\s*/\s*(?:Delivery|Supply|Liefer|Leistungs)-?\s?(?:date|datum)"
        r"|Invoice\s*Date|Inv\.?\s*Date|Date\s+of\s+(?:Invoice|Issue|Bill)|Issue\s*Date|Date\s*Issued|Credit\s*Note\s*Date|Bill(?:ing)?\s*Date"
        # a UK VAT invoice's tax point (the date of supply it is issued for)
        r"|(?:Date\s*(?:/|and|&)\s*)?Tax\s*point(?:\s*date)?|(?:Invoice\s*/\s*)?Tax\s+Date"
        r"|Date\s+de\s+facturation|Factur[ée]e?\s+le|[ÉE]mise?\s+le|Fecha\s+(?:de\s+)?expedici[óo]n|Data\s+documento"
        r"|Laskun\s+p[äa]iv[äa](?:ys|m[äa][äa]r[äa])|Fakturadato|Fakturadatum|Datum\s+vystaven[íi]"
        # Slovak, Romanian and Hungarian issue dates
        r"|D[áa]tum\s+(?:vystavenia|vyhotovenia)|Data\s+(?:facturii|emiterii|factur[ăa]rii)|Sz[áa]mla\s+kelte|Ki[áa]ll[íi]t[áa]s\s+d[áa]tuma"
        # "Rechnung Nr. 471102 vom 05.03.2018": the date that follows the document's own number
        # (a compound title too: "Handelsrechnung Nr. 9 vom", its date wrapped to the next line)
        r"|[^\W\d_]*(?:Invoice|Rechnung|Gutschrift|Rechnungskorrektur|Facture|Avoir|Factuur|Factura|Fattura|Faktura)[^\n]{0,40}?"
        r"(?<![^\W\d_])(?:Nr\.?|No\.?|N[°º.]|#)\s*[\w\-/.]+\s*(?:\n\s*)?(?:vom|von|dated|du|van|del|z\s+dnia)"
        # OCR splits a compound at its joint ("Factuur datum", "Rechnungs datum") or joins two
        # words ("Datafattura", "Fechade factura"): either spelling is the label
        r"|Issued\s+(?:at|on)|Issued(?=\s*:)|Document\s+date|Rechnungs-?\s?datum|Ausstellungsdatum|Beleg-?\s*datum|Gutschriftsdatum|Datum\s+der\s+Rechnung"
        r"|Date\s+(?:de\s+(?:la\s+)?)?facture|Date\s+d'[ée]mission|Factuur-?\s?datum"
        r"|Fecha\s*(?:de\s*)?(?:la\s+)?factura|Fecha\s+(?:de\s+)?emisi[óo]n|Data\s*(?:della\s+)?fattura|Data\s+(?:di\s+)?emissione"
        r"|Data\s+wystawienia|Data\s+(?:e\s+hora\s+)?(?:da\s+|de\s+)?emiss[ãa]o(?:\s+da\s+NFS-?e)?|Data\s+(?:da\s+)?fatura"),
    # "Date" alone, not the end of "Due Date": no word right before it (a column gap of two
    # spaces between boxes is no word: "Faraway  Date:  24 Sep 2024"; nor is a separator: "# A-100 | Date:").
    # "Dated": an Indian (Tally) invoice's date heading beside "Invoice No."
    "invoice_date_plain": r"(?<!\w)(?<![^\t\n |·•] )(?:Date|Dated|Datum|Fecha|Data|P[äa]iv[äa]m[äa][äa]r[äa]|Dato|Kelt)",
    "due_date": (
        # "DUE: 01/01/2025", "due October 14, 2022": "Due" alone only as a label with its colon or
        # right before the date, no word before it
        r"(?:Invoice\s+)?Due\s*Date|Date\s+due|(?<![^\W\d_]\s)(?<![^\W\d_])Due(?=\s*:|\s+(?:[^\W\d_]{3,9}\.?\s+)?\d)|Payment\s*Due(?:\s*Date)?|Payment\s+(?:until|deadline)|Pay\s+until|Er[äa]p[äa]iv[äa]|F[öo]rfallo(?:dag|datum)|Forfald(?:s)?dato|Forfallsdato|Datum\s+splatnosti|Splatnost|Due\s+(?:by|on)|F[äa]llig(?:keitsdatum|keit|\s+am|\s+bis)?|Zahlbar\s+bis|Zahlungsziel"
        # SEPA direct debit: the day the amount is taken is the day it is due
        # Slovak "Dátum splatnosti", Romanian "Data scadenței", "Scadență", Hungarian "Fizetési határidő"
        r"|D[áa]tum\s+splatnosti|Data\s+scaden[țţt]ei|Scaden[țţt][ăa]|Termen\s+de\s+plat[ăa]|Fizet[ée]si\s+hat[áa]rid[őo]"
        r"|Date\s+limite\s+de\s+(?:paiement|r[èe]glement)|[ÀA]\s+r[ée]gler\s+avant\s+le|Fecha\s+l[íi]mite\s+de\s+pago|Pay\s+by"
        r"|Betrag[^\n]{0,40}?\bwird\s+am|will\s+be\s+debited[^\n]{0,40}?\bon|sera\s+pr[ée]lev[ée]\s+le"
        r"|Date\s+d'[ée]ch[ée]ance|[ÉE]ch[ée]ance|Verval-?\s?datum|Uiterste\s+betaaldatum|Te\s+betalen\s+voor"
        r"|Fecha\s+(?:de\s+)?vencimiento(?:\s+(?:de(?:l)?\s+)?pago)?|Fecha\s+Venc\.|Vencimiento(?:\s+(?:de(?:l)?\s+)?pago)?|Data\s+(?:de\s+)?vencimento|Vencimento|Data\s+(?:di\s+)?scadenza|Scadenza|Termin\s+p[łl]atno[śs]ci|Termin\s+zap[łl]aty"
        # "Zahlbar innerhalb 30 Tagen netto bis 04.04.2018": the first date payment is due by ("Bitte
        # überweisen Sie den Betrag unter Angabe der Rechnungsnummer bis zum": a long sentence, but
        # not past a date: "netto bis 04.04.2018, 3% Skonto innerhalb 10 Tagen bis": a discount's)
        r"|(?:Zahlbar|Bitte\s+(?:[üu]berweisen|zahlen|begleichen)|Payable|Due|Please\s+(?:remit|pay)|[àa]\s+payer|Te\s+betalen|Pagadero|A\s+pagar|Da\s+pagare|P[łl]atne)(?:(?!\d{1,4}[./-]\d{1,2}[./-]\d)[^\n]){0,80}?"
        r"\b(?:bis(?:\s+(?:zum|sp[äa]testens))?|by|until|on\s+or\s+before|avant\s+le|au\s+plus\s+tard\s+le|v[óo][óo]r|uiterlijk"
        r"|antes\s+del?|entro\s+il|do(?:\s+dnia)?)"),
    # The amount to pay: strongest labels first.
    # The invoice's total (tax included), then what is left to pay (after a prepayment the
    # two differ; total_amount is the first).
    "total_strong": (
        # "Total (incl. VAT)", "Total € Incl. VAT", "Total EUR incl. MwSt"
        r"Grand\s*Total|Invoice\s*Total|Total\s*(?:(?:[€$£]|EUR|USD|GBP|CHF)\s*)?\(?incl\.?[^\n]{0,12}?\)?"
        # "Summe inkl. USt", "Total including VAT", "Montant TVA comprise": tax included
        r"|(?:Summe|Gesamt(?:summe|betrag)?|Betrag|Total|Amount|Montant)\s*(?:inkl\.?|inklusive|incl\.?|inc\.?|including|inclusive)\s*(?:USt|MwSt|VAT|tax|TVA|GST)\.?"
        # "Total paid with VAT" (a paid invoice's total, tax included)
        r"|(?:Total|Amount)\s+(?:paid\s+)?with\s+(?:VAT|tax|GST|TVA)"
        r"|Gesamtbetrag|Gesamtsumme|Endsumme|Rechnungsbetrag|Rechnungssumme(?:\s+brutto)?|Endbetrag|Bruttobetrag|Bruttosumme|Gesamt\s*brutto|Summe\s*brutto|Brutto"
        # Swiss German: "Rechnungstotal", "Totalbetrag", "Gesamttotal", "Endtotal"
        r"|Rechnungstotal|Totalbetrag|Gesamttotal|Endtotal"
        r"|Total\s+TTC|Montant\s+TTC|Montant\s+total(?!\s+HT)|Totaalbedrag|Totaal\s+(?:incl\.?|inclusief)[^\n]{0,10}?"
        r"|Importe\s+total|Total\s+factura|Total\s+con\s+IVA|Totale\s+(?:fattura|documento|complessivo)|Importo\s+totale"
        r"|Warto[śs][ćc]\s+brutto|Suma\s+brutto|Total\s+(?:da\s+)?fatura|Valor\s+total(?!\s+(?:dos\s+)?(?:tributos|impostos))|Total\s+geral"
        # a Brazilian service invoice's value (before the taxes the buyer withholds)
        r"|Valor\s+da\s+Opera[çc][ãa]o(?:\s*/\s*Servi[çc]o)?|Valor\s+(?:total\s+)?d[oa]s?\s+Servi[çc]os?"
        # "Invoice Amount", Czech "Celkem s DPH", Nordic totals with VAT ("inkl. moms", "inkl. mva", "sis. alv")
        r"|Invoice\s+Amount|Gross\s+(?:Amount|Total)|Celkem\s+s\s+DPH"
        # a credit note's own total: "Gutschriftsbetrag", "Total credit", "Montant de l'avoir"
        r"|Gutschrifts(?:betrag|summe)|Erstattungsbetrag|Total\s+credit|Credit\s+total|Montant\s+de\s+l'avoir|Totaal\s+creditnota"
        r"|Loppusumma|Totalsumma|Totalbelopp|Totalbel[øo]b"
        # Slovak, Romanian and Hungarian totals
        r"|Celkom\s+k\s+[úu]hrade|Suma\s+k\s+[úu]hrade|Total\s+de\s+plat[ăa]|Total\s+factur[ăa]|Total\s+general"
        r"|Brutt[óo]\s+(?:[öo]sszesen|[ée]rt[ée]k|[öo]sszeg)|Fizetend[őo](?:\s+[öo]sszeg)?|V[ée]g[öo]sszeg"
        r"|(?:Total|Summa|Yhteens[äa]|I\s+alt)\s*(?:inkl\.?|ink\.?|incl\.?|med|sis\.?)\s*(?:moms|mva|alv)"),
    "total_due": (
        r"Total\s*Due|Amount\s*Due|Balance\s*Due|Total\s*Amount\s*Due|Amount\s+Payable|Payable\s+Amount|Please\s+pay|(?:Total|Amount)\s+to\s+(?:pay|be\s+paid)|Importe\s+a\s+pagar|(?:Total|Net|Due)\s+payable|Zahlbetrag|Zu\s+zahlen(?:der\s+Betrag)?"
        r"|Net\s+[àa]\s+payer|Montant\s+[àa]\s+payer|Total\s+[àa]\s+payer|Te\s+betalen|Totaal\s+te\s+betalen"
        r"|Total\s+a\s+pagar|Totale\s+da\s+pagare|Netto\s+a\s+pagare|Valor\s+a\s+pagar"
        r"|Razem\s+do\s+zap[łl]aty|Do\s+zap[łl]aty|Kwota\s+do\s+zap[łl]aty"
        r"|Maksettava(?:\s+yhteens[äa])?|Att\s+betala|At\s+betale|[ÅA]\s+betale|Celkem\s+k\s+[úu]hrad[ěe]|K\s+[úu]hrad[ěe]"),
    # Rows that carry a total-like word but are not the invoice total.
    "not_total": (
        r"Abschl[äa]g|Zuschl[äa]g|Rabatt|Skonto|Nachlass|Discount|Allowance|Charges?\b|Remise|Escompte|Korting"
        r"|Descuento|Sconto|Rabat|bereits\s+(?:gezahlt|bezahlt)|already\s+paid|(?<!VAT\s)(?<!Tax\s)Paid\b(?!\s+(?:with|incl))|Prepaid|Anzahlung|Vorauszahlung"
        r"|Acompte|Voorschot|Anticipo|Acconto|Zaliczka|capital|Stammkapital|Grundkapital|kapita[łl]|Positionen|Positions"
        # taxes the buyer withholds (Brazil's "Total das Retenções", Spain's "Retención IRPF", Italy's "ritenuta")
        r"|Reten[çc][õo]es|Retid[oa]s|Retenci[óo]n|Ritenut[ae]|Withh[eo]ld(?:ing)?"
        # unit prices and freight: a price per piece or a delivery charge is never the total
        r"|(?:Brutto|Netto|Einzel|Stück)preis|Unit\s*price|Prix\s+unitaire|Stukprijs|Precio\s+unitario|Prezzo\s+unitario"
        r"|Fracht|Freight|Shipping|Versand(?:kosten)?|Transportkosten|Porto\b|Frais\s+de\s+port|Verzendkosten|Gastos\s+de\s+env[íi]o|Spese\s+di\s+spedizione"),
    "total_plain": r"(?<![Ss]ub)(?<![Ss]ub-)(?<![Zz]wischen)\b(?:Total|Totaal|Totale|Summe|Gesamt|Razem|Suma|Celkem|TOTAL"
                   r"|Totalt|Summa|Yhteens[äa]|I\s+alt)\b",
    "subtotal": (
        # "Net" alone is the UK net amount; "Net weight", "Net 30 days" are not money
        r"Sub-?\s*total|Net(?:\s+(?:amount|total|value))?\b(?!\s*(?:weight|wt\b|mass|\d))|Untaxed\s+Amount|Taxable\s+(?:Value|Amount)|Total\s+Taxable|Montant\s+hors\s+taxes|Nettosumme|Total\s+(?:net|excl\.?[^\n]{0,10}?|before\s+tax)|Amount\s+excl"
        r"|Zwischensumme|Nettobetrag|Netto(?:betrag|summe)?|Summe\s+netto|Gesamt\s*netto|Warenwert"
        r"|Sous-?\s*total|Total\s+HT|Montant\s+HT|Total\s+hors\s+taxes"
        # a web shop's (PrestaShop) "Total produits": the goods before shipping and tax
        r"|Total\s+(?:des\s+)?produits|Total\s+(?:des\s+)?articles"
        r"|Subtotaal|Totaal\s+excl\.?[^\n]{0,10}?|Netto\s*bedrag"
        r"|Base\s+imponible|Subtotal|Imponibile|Totale\s+imponibile|Totale\s+netto"
        # Portuguese: the total before VAT ("Total ilíquido"), its taxable base ("Incidência")
        r"|Total\s+il[íi]quido|Base\s+tribut[áa]vel|Incid[êe]ncia|(?:Total|Valor)\s+sem\s+IVA"
        r"|Warto[śs][ćc]\s+netto|Razem\s+netto|Suma\s+netto"
        # Nordic and Finnish amounts before VAT, the Czech tax base
        r"|(?:Summa\s+|Total\s+)?(?:exkl|ekskl|excl|ex)\.?\s*(?:moms|mva)|Nettobelopp|Nettobel[øo]b|Veroton(?:\s+summa)?"
        r"|Z[áa]klad(?:\s+dan[ěe])?(?![^\W\d_])"
        # Norwegian "Sum eks. mva", Romanian "Total fără TVA", "Baza de impozitare", Hungarian "Nettó összesen"
        r"|(?:Sum\s+|Totalt?\s+)?eks\.?\s*mva|(?:Total|Valoare)\s+f[ăa]r[ăa]\s+TVA|Baza\s+de\s+impozitare"
        r"|Nett[óo]\s+(?:[öo]sszesen|[ée]rt[ée]k|[öo]sszeg)"),  # not "Základní kapitál" (share capital)
    "tax": (
        # each a word of its own: "Taxable Value" is the net amount, "Private Ltd" holds no VAT
        r"(?<![^\W\d_])(?:(?:Sales\s+)?Tax(?:es)?\b|VAT|GST|HST|[CSIU]GST|UTGST|QST|PST|USt\.?|MwSt\.?|Mehrwertsteuer"
        r"|Umsatzsteuer|Steuer(?:betrag|summe)?\b|TVA|BTW|IVA|DPH\b|Impuestos?\b|Imposta\b|Kwota\s+VAT|Podatek"
        r"|Moms\b|MVA\b|ALV\b|Arvonlis[äa]vero|[ÁA]FA\b)"),
    "customer": (
        # "TO:" beside "FROM:" (the supplier's label): only with its colon; "Invoice For" with its
        # colon or alone in its box (Harvest's header table), not "an invoice for services"
        r"Bill(?:ed)?\s*To|Invoice\s*(?:To|For)(?=\s*:|\s*$)|Invoice\s*To|Sold\s*To|Customer|Client|Buyer|To(?=\s*:)"
        r"|Invoiced\s+To|Recipient|Issued\s+to"
        r"|Rechnungsempf[äa]nger|Rechnungsadresse|Kunde|Auftraggeber|K[äa]ufer"
        r"|Factur[ée]\s+[àa]|Adresse\s+de\s+facturation|Client|Acheteur|Destinataire"
        r"|Klant|Factuuradres|Afnemer|Cliente|Facturar\s+a|Direcci[óo]n\s+de\s+facturaci[óo]n|Destinat[áa]rio|Comprador"
        r"|Committente|Adquirente|Intestatario"
        r"|Nabywca|Kupuj[ąa]cy|Odbiorca|Odb[ěe]ratel|Asiakas|Kund|Faktureringsadress|Fakturaadresse|Laskutusosoite"
        # the addressee's courtesy heading: Italian "Spett.le" (its underline read as "_"), Spanish
        # "Señor(es)", "Sr.(s)"; a Chilean DTE's "Receptor"
        r"|Spett(?:\.?\s?le|abile)_*|Se[ñn]or(?:\(?es\)?)?|Sr(?:es)?\.?\s?\(s\)|Sres\.|Receptor"
        # a Brazilian NFS-e's service taker ("TOMADOR / ADQUIRENTE")
        r"|Tomador"
        # "Exmo.(s) Senhor(es):", "Exma. Senhora": the Portuguese addressee's heading
        r"|Exm[oa]s?\.?(?:\s*\(\w{1,2}\))?\s*Senhor[\w()]{0,4}"),
    "supplier": (
        # "PAYABLE TO:" / "Make checks payable to": the payee, whose name heads the block under it
        r"Supplier|Seller|Vendor|From|(?:Make\s+(?:all\s+)?(?:checks?|cheques?)\s+)?Payable\s+to"
        # "Issued by", "Billed from", "Émetteur", "Aussteller": the issuer. Not "Remit to": the remittance
        # address is often a billing department or a lockbox ("REMIT TO: Contoso Billing" on a Contoso Ltd. invoice)
        r"|Bill(?:ed)?\s+(?:from|by)|Invoice\s+from|Issued\s+by|Service\s+provider|[ÉE]metteur|Aussteller|Prestataire"
        r"|Lieferant|Verk[äa]ufer|Rechnungs(?:er)?steller|Fournisseur|Vendeur|Leverancier"
        r"|Verkoper|Proveedor|Vendedor|Emisor|Fornitore|Cedente|Sprzedawca|Dostawca|Dodavatel|Myyj[äa]|Prestador"),
    "currency": r"Currency|W[äa]hrung|Devise|Monnaie|Valuta|Moneda|Divisa|Waluta",
}

# A label never spans a line break ("FACTURA" title + "Nº" on the next line is not a label).
# German umlauts may be written out ("Rechnungsempfaenger", "Faelligkeit": ASCII-only printers).
_UMLAUTS_WRITTEN_OUT = {"[äa]": "(?:ae|[äa])", "[öo]": "(?:oe|[öo])", "[üu]": "(?:ue|[üu])"}


def _label(rx: str) -> str:
    for umlaut, spelt in _UMLAUTS_WRITTEN_OUT.items():
        rx = rx.replace(umlaut, spelt)
    return rx.replace(r"\s", "[ \t\u00a0]")


LABELS = {name: _label(rx) for name, rx in LABELS.items()}

# Document types: cue → weight. A title word ("Rechnung" alone at the top) counts double.
TYPE_CUES: dict[str, dict[str, float]] = {
    "invoice": {
        r"\binvoice\b": 2, r"\b[^\W\d_]*rechnung\b": 2, r"\bfacture\b": 2, r"\bfactuur\b": 2, r"\bfactura\b": 2,
        r"\bfattura\b": 2, r"\bfaktura\b": 2, r"\bfatura\b": 2, r"\blasku\b": 2,
        # Slovak "faktúra", Romanian "factură", Hungarian "számla"; the Czech and Slovak tax document
        r"\bfakt[úu]ra\b": 2, r"\bfactur[ăa]\b": 2, r"\bsz[áa]mla\b": 2, r"\bda[ňn]ov[ýy]\s+doklad\b": 1,
        # Brazil's fiscal invoices: "Nota Fiscal", the national NFS-e and its printed "DANFSe", NF-e / DANFE
        r"\bnota\s+fiscal\b|\bNFS-?e\b|\bDANFS-?e\b|\bNF-e\b|\bDANFE\b": 2,
        r"\b(?:tomador|prestador)\b": 1, r"\bISSQN\b": 1,
        r"\b(?:bill(?:ed)?\s+to|rechnungsempf[äa]nger|factur[ée]\s+[àa]|factuuradres|facturar\s+a|nabywca)\b": 1,
        r"\b(?:due\s+date|f[äa]llig|[ée]ch[ée]ance|vervaldatum|vencimiento|vencimento|scadenza|termin\s+p[łl]atno[śs]ci"
        r"|er[äa]p[äa]iv[äa]|f[öo]rfallodag|forfaldsdato|forfallsdato|datum\s+splatnosti)": 1,
        r"\b(?:sub[-\s]?total|zwischensumme|sous-total|subtotaal|base\s+imponible|imponibile|warto[śs][ćc]\s+netto|netto)\b": 1,
        r"\b(?:qty|quantity|menge|anzahl|quantit[ée]|aantal|cantidad|quantit[àa]|quantidade|ilo[śs][ćc])\b": 1,
        r"\b(?:unit\s+price|einzelpreis|prix\s+unitaire|stukprijs|eenheidsprijs|precio\s+unitario|prezzo\s+unitario|pre[çc]o\s+unit[áa]rio|cena\s+jedn)": 1,
        # (CGST/SGST are no cue: an Indian restaurant bill prints them too.) "Place of Supply":
        # the state an Indian GST tax invoice must name for a business buyer; what is left to pay
        r"\b(?:vat|ust|mwst|tva|btw|iva|dph|[áa]fa)\b": 1,
        r"\bplace\s+of\s+supply\b": 1,
        r"\b(?:balance\s+due|amount\s+due)\b": 1,
        r"\biban\b": 1,
        r"\b(?:payment\s+terms|zahlungsbedingungen|conditions\s+de\s+paiement|betalingsvoorwaarden|forma\s+de\s+pago|condizioni\s+di\s+pagamento|spos[óo]b\s+p[łl]atno[śs]ci)\b": 1,
    },
    "credit_note": {
        r"\bcredit\s*(?:note|memo)\b": 3, r"\bgutschrift\b": 3, r"\brechnungskorrektur\b": 3, r"\bavoir\b": 3,
        r"\bcreditnota\b": 3, r"\bcreditfactuur\b": 3, r"\bnota\s+de\s+cr[ée]dito\b": 3,
        r"\bfactura\s+rectificativa\b": 3, r"\bnota\s+di\s+credito\b": 3, r"\bfaktura\s+koryguj[ąa]ca\b": 3,
    },
    "receipt": {
        r"\breceipt\b": 2, r"\bkassenbon\b|\bkassenbeleg\b|\bquittung\b": 2, r"\bticket\s+de\s+caisse\b|\bre[çc]u\b": 2,
        r"\bkassabon\b|\bkasbon\b": 2, r"\brecibo\b|\bticket\b": 2, r"\bscontrino\b|\bricevuta\b": 2, r"\bparagon\b": 2,
        r"\b(?:change|r[üu]ckgeld|rendu|wisselgeld|cambio|resto|reszta)\b": 1,
        r"\b(?:cash|bar|esp[èe]ces|contant|efectivo|contanti|got[óo]wka)\b": 1,
        r"\b(?:card|visa|mastercard|ec-?karte|girocard|carte\s+bancaire|pin|tarjeta|carta|karta)\b": 1,
        r"\b(?:thank\s+you|vielen\s+dank|merci|bedankt|gracias|grazie|dzi[ęe]kujemy)\b": 1,
        r"\b(?:cashier|kassierer|caissier|kassa|cajero|cassiere|kasjer|terminal)\b": 1,
        # till conventions: the money block's words, the VAT code + rate rows ("A 7%", "C 19,00%"),
        # the till's date-and-time stamp, the till/shop words and the counter's phrases
        r"\b(?:summe|zu\s+zahlen|bargeld|gegeben|rounding(?:\s+adj\w*)?|rundung|tendered|total\s+qty)\b": 1,
        r"(?m)^\s*[A-E]\s?\d{1,2}(?:[.,]\d{1,2})?\s?%": 1,
        r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\s*\d{1,2}:\d{2}|\d{1,2}:\d{2}(?::\d{2})?\s+\d{1,2}[./-]\d{1,2}[./-]\d{2,4}": 1,
        r"\b(?:kasse|bon-?nr|bed\.?\s*nr|filiale|einkauf|anzahl\s+artikel|cash\s+bill|cash\s+sales?|official\s+receipt"
        r"|tunai|terima\s+kasih|please\s+come\s+again|goods\s+sold\s+are\s+not|gst\s+summary|counter|pax)\b": 1,
        # the card terminal's slip printed under the bill, and its copy words
        r"\b(?:trace-?\s?nr|terminal-?\s?id|genehmigungs-?\s?nr|vu-?\s?nr|ta-?\s?nr|approval\s+code"
        r"|auth(?:orization)?\s+code|appr\s+code)\b": 1,
        r"\b(?:kundenbeleg|h[äa]ndlerbeleg|kartenzahlung|barverkauf|customer\s+copy|merchant\s+copy)\b": 1,
        # US tills: the shop's savings and item count; the chip card's lines and a tip
        r"\b(?:sold\s+items|items\s+sold|total\s+savings|you\s+saved)\b": 1,
        r"\b(?:chip\s+card|contactless|tip|gratuity|eftpos)\b": 1,
        # an Australian or New Zealand slip's "GST included" (an invoice states its GST as a line)
        r"\b(?:gst|vat|tax)\s+incl(?:uded|\.)?\b|\btotal\s+includes?\s+(?:gst|vat|tax)\b": 1,
        # a receipt's own number and date labels; a bill with nothing left to pay has been paid
        r"\b(?:receipt|re[çc]u|recibo|ricevuta)\s*(?:no\b|nr\b|number|nummer|num[ée]ro|n[°º]|#|date|datum)": 1,
        r"\b(?:balance|amount)\s+due\b[\s:]*(?:[$€£]|[A-Z]{3})?\s*0[.,]00\b": 2,
        # Nordic, Finnish, Baltic, Czech, Hungarian and Romanian tills: the slip's name, the tender
        # and the counter's thanks (their total and tax words are an invoice's too: no cue)
        r"\b(?:kvittering|kassekvittering|kvitto|kassakvitto|kuitti|bon\s+fiscal|[čc]eks|[úu][čc]tenka"
        r"|pokladn[íi]\s+doklad|nyugta|fa[ck]tura\s+simplificada|documento\s+commerciale)\b": 2,
        r"\b(?:kontant|karte|multibanco|bankkort|bankaxept|dankort|swish|vipps|mobilepay|numerar|skaidra\s+nauda|hotovost"
        r"|k[ée]szp[ée]nz|k[äa]teinen|pankkikortti|veksel|v[äa]xel|byttepenge|vaihtoraha)\b": 1,
        r"\b(?:takk|tack|kiitos|paldies|mul[țţt]umim|d[ěe]kujeme|k[öo]sz[öo]nj[üu]k|obrigad[oa])\b": 1,
    },
    "contract": {
        r"\bagreement\b": 2, r"\bcontract\b": 2, r"\bvertrag\b|\bvereinbarung\b": 2, r"\bcontrat\b": 2,
        r"\bovereenkomst\b": 2, r"\bcontrato\b|\bacuerdo\b": 2, r"\bcontratto\b|\baccordo\b": 2, r"\bumowa\b": 2,
        r"\b(?:effective\s+date|inkrafttreten|date\s+d'effet|ingangsdatum|fecha\s+de\s+entrada|data\s+di\s+decorrenza)": 1,
        r"\b(?:parties|parteien|partijen|partes|parti|strony)\b": 1,
        r"\b(?:hereby|hereto|hereof|hiermit|par\s+la\s+pr[ée]sente|hierbij|por\s+la\s+presente|con\s+la\s+presente|niniejsz)": 1,
        r"\bin\s+witness\s+whereof\b": 1,
        r"\b(?:signature|signatory|unterschrift|handtekening|firma|podpis)\b": 1,
        r"\b(?:by\s+and\s+between|zwischen|entre|tussen|tra|mi[ęe]dzy)\b": 1,
        r"\b(?:governing\s+law|anwendbares\s+recht|droit\s+applicable|toepasselijk\s+recht|ley\s+aplicable|legge\s+applicabile|prawo\s+w[łl]a[śs]ciwe)\b": 1,
        r"\b(?:term|laufzeit|dur[ée]e|looptijd|duraci[óo]n|durata|okres)\b": 1,
    },
}

# Stop words and frequent document words per language, for a language vote.
_LANG_WORDS = {
    "en": r"the|and|of|to|invoice|total|date|due|amount|payment|for|with|this",
    "de": r"der|die|das|und|mit|für|rechnung|datum|gesamt|betrag|zahlbar|bitte|vom|nicht|summe|netto|brutto",
    "fr": r"le|la|les|et|des|du|pour|facture|montant|date|total|avec|une|paiement|échéance",
    "nl": r"de|het|een|en|van|voor|factuur|datum|bedrag|totaal|betaling|te|met",
    "es": r"el|la|los|las|y|de|del|para|factura|fecha|importe|total|con|pago",
    "it": r"il|lo|la|gli|le|e|di|del|della|per|fattura|data|importo|totale|con|pagamento",
    "pl": r"i|w|z|na|do|dla|faktura|data|kwota|razem|zapłaty|sprzedawca|nabywca|netto|brutto",
    "pt": r"o|os|da|do|das|dos|em|para|fatura|data|valor|total|com|pagamento|obrigado|pelo|emissão|contribuinte",
}
_LANG_RE = {lang: re.compile(rf"\b(?:{words})\b", re.I) for lang, words in _LANG_WORDS.items()}

DAY_FIRST_LANGUAGES = {"de", "fr", "nl", "es", "it", "pl", "pt"}

# EU VAT ids (and GB, CH): two-letter prefix, then the national format.
# A line-item table's column heads: a quantity or a unit price ("Menge  Einzelpreis  Gesamt").
TABLE_HEADER = re.compile(r"\b(?:Qty|Quantity|Menge|Anzahl|Quantit[ée]|Qt[ée]|Aantal|Cantidad|Quantit[àa]|Ilo[śs][ćc]"
                          r"|Unit\s*price|Einzelpreis|Prix\s+unitaire|Stukprijs|Precio\s+unitario|Prezzo\s+unitario)\b", re.I)

VAT_ID = (r"\b(?:ATU\d{8}|BE[01]\d{9}|DE\d{9}|DK\d{8}|ES[A-Z0-9]\d{7}[A-Z0-9]|FI\d{8}|FR[A-HJ-NP-Z0-9]{2}\d{9}"
          r"|GB\d{9}(?:\d{3})?|IE\d{7}[A-W][A-I]?|IT\d{11}|LU\d{8}|NL\d{9}B\d{2}|PL\d{10}|PT\d{9}|SE\d{12}"
          r"|CHE[-\s]?\d{3}\.?\d{3}\.?\d{3}|CZ\d{8,10}|AT\s?U\d{8})\b")
IBAN = r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"
# A VAT id printed in groups ("FR62 401 112 024", "DE 123 456 789", "GB 123 4567 89"): its country, then
# groups of digits (and letters) parted by spaces or dots; taken only where the joined code has the
# country's form and its check digits hold (a SIRET or a phone number beside it is no VAT id).
_GROUPED_VAT = re.compile(r"\b(?:AT|BE|DE|DK|ES|FI|FR|GB|IE|IT|LU|NL|PL|PT|SE|CZ)[ \u00a0]?[0-9A-Z]{1,4}(?:[ .\u00a0][0-9A-Z]{1,4}){1,5}\b")

COUNTRY_CURRENCY = {
    "DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR", "IT": "EUR", "AT": "EUR", "BE": "EUR", "LU": "EUR",
    "IE": "EUR", "FI": "EUR", "PT": "EUR", "PL": "PLN", "GB": "GBP", "CH": "CHF", "SE": "SEK", "DK": "DKK",
    "CZ": "CZK", "US": "USD", "IN": "INR", "AU": "AUD", "CL": "CLP", "AR": "ARS", "CA": "CAD",
    "NO": "NOK", "RO": "RON", "HU": "HUF", "BG": "BGN", "LV": "EUR", "LT": "EUR", "EE": "EUR", "SK": "EUR",
    "SI": "EUR", "HR": "EUR", "GR": "EUR", "EL": "EUR", "CY": "EUR", "MT": "EUR",
}
# The US states spelt out ("Palo Alto California 94301", "the laws of the State of New York")
US_STATE_NAMES = (r"Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho"
                  r"|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota"
                  r"|Mississippi|Missouri|Montana|Nebraska|Nevada|New\s+Hampshire|New\s+Jersey|New\s+Mexico|New\s+York"
                  r"|North\s+Carolina|North\s+Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode\s+Island|South\s+Carolina"
                  r"|South\s+Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West\s+Virginia|Wisconsin|Wyoming")
# Countries (as country_of finds them) that write their own currency with a bare "$".
DOLLAR_SIGN_COUNTRIES = ("AU", "CL", "AR", "CA")


def language_of(text: str) -> str | None:
    """The language whose common words occur most (None for too little text)."""
    counts = {lang: len(rx.findall(text)) for lang, rx in _LANG_RE.items()}
    best = max(counts, key=lambda lang: counts[lang])
    ranked = sorted(counts.values(), reverse=True)
    if ranked[0] < 3 or ranked[0] < ranked[1] * 1.2:
        return None
    return best


def country_of(text: str) -> str | None:
    """The country of the first VAT id (or, failing that, IBAN) printed."""
    m = re.search(VAT_ID, text.replace("\u00a0", " "))
    if m:
        prefix = m[0][:2]
        return "CH" if prefix == "CH" else ("AT" if prefix == "AT" else prefix)
    grouped = vat_ids(text)  # "GB 123 4567 89", "FR62 401 112 024": printed in groups, their check digits hold
    if grouped:
        return grouped[0][0][:2]
    m = re.search(IBAN, text)
    if m and m[0][:2] in COUNTRY_CURRENCY:
        return m[0][:2]
    # No VAT id or IBAN: tax ids and postal addresses of countries outside the EU.
    if _GSTIN.search(text):
        return "IN"
    if re.search(r"\bA\.?B\.?N\.?:?\s*\d{2}\s?\d{3}\s?\d{3}\s?\d{3}\b", text):
        return "AU"
    # Chile's RUT ("RUT: 76.192.083-9") and Argentina's CUIT and tax agency, which print "$" for pesos
    if re.search(r"\bR\.?U\.?T\.?:?\s*\d{1,2}\.\d{3}\.\d{3}-[\dkK]\b", text):
        return "CL"
    if re.search(r"\b(?:CUIT|AFIP)\b", text):
        return "AR"
    # Canada: a province before its postal code ("Toronto, ON M5V 1A1") or a GST/HST number
    if _CA_POSTAL.search(text) or re.search(r"\bGST/HST\b|\b\d{9}\s?RT\s?\d{4}\b", text):
        return "CA"
    # Nordic company numbers: a Norwegian one with "MVA", a Swedish "556123-4567", a Danish CVR, a Finnish Y-tunnus
    for country, rx in _NORDIC_IDS:
        if rx.search(text):
            return country
    if _US_STATE_ZIP.search(text):
        return "US"
    if _UK_POSTCODE.search(text):
        return "GB"
    return None


# A country named on a line of its own (the last line of a postal address), by its name in
# its own language or in English.
_COUNTRY_NAMES = {
    "DE": r"Deutschland|Germany", "FR": r"France|Frankreich", "NL": r"Nederland|(?:The\s+)?Netherlands|Holland",
    "BE": r"Belgi[eë]|Belgique|Belgium", "ES": r"Espa[ñn]a|Spain", "IT": r"Italia|Italy", "PT": r"Portugal",
    "AT": r"[ÖO]sterreich|Austria", "LU": r"Luxembourg|Luxemburg", "IE": r"Ireland|[ÉE]ire",
    "GB": r"United\s+Kingdom|Great\s+Britain|England|Scotland|Wales", "US": r"USA|U\.S\.A\.|United\s+States(?:\s+of\s+America)?",
    "PL": r"Polska|Poland", "CH": r"Schweiz|Suisse|Svizzera|Switzerland", "IN": r"India",
}
_COUNTRY_LINE = {code: re.compile(rf"^[ \t]*(?:{names})[ \t]*[.,]?[ \t]*$", re.I | re.M) for code, names in _COUNTRY_NAMES.items()}


def address_country(text: str) -> str | None:
    """The one country the page's addresses name on lines of their own; None when none or
    several do (a Dutch supplier billing a Belgian customer says nothing sure)."""
    found = {code for code, rx in _COUNTRY_LINE.items() if rx.search(text)}
    return found.pop() if len(found) == 1 else None


_CA_POSTAL = re.compile(r"\b(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d\b")
# India's GST number (15 characters: state, PAN, entity, "Z", check).
_GSTIN = re.compile(r"\b\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]\b")
# "Seattle, WA 98109", "New York, NY 10001-2345", "Redmond WA, 98052": a US state code before a ZIP code.
_US_STATE_ZIP = re.compile(
    r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK"
    r"|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY),?\s+\d{5}(?:-\d{4})?\b")

_NORDIC_IDS = (
    ("NO", re.compile(r"\b(?:NO\s?)?\d{3}\s?\d{3}\s?\d{3}\s?MVA\b")),
    ("SE", re.compile(r"\bOrg(?:anisations)?\.?\s*(?:nr|nummer)\.?:?\s*\d{6}-\d{4}\b", re.I)),
    ("DK", re.compile(r"\bCVR(?:-?nr\.?)?:?\s*\d{8}\b")),
    ("FI", re.compile(r"\bY-tunnus:?\s*\d{7}-\d\b", re.I)),
)
# "Bristol BS1 4DJ", "London W1D 1AN": a UK postcode (outward code, a space, inward code).
_UK_POSTCODE = re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) \d[ABD-HJLNP-UW-Z]{2}\b")


def vat_id_valid(code: str) -> bool | None:
    """The VAT id's own check digits (python-stdnum's module of its country: EU members, GB,
    CH); None for a country without a published check."""
    from stdnum import get_cc_module
    from stdnum.exceptions import ValidationError

    cc = code[:2].lower()
    module = get_cc_module("gr" if cc == "el" else cc, "vat") if re.fullmatch(r"[a-z]{2}", cc) else None
    if module is None:
        return None
    try:
        module.validate(code)
        return True
    except ValidationError:
        return False


def vat_ids(text: str) -> list[tuple[str, str]]:
    """Every VAT id in ``text`` as (code, as printed): written together ("DE136695976"), or in groups
    whose joined code has the country's form and valid check digits."""
    text = text.replace("\u00a0", " ")
    found = [(re.sub(r"[\s.\-]", "", m[0]), m[0]) for m in re.finditer(VAT_ID, text)]
    for m in _GROUPED_VAT.finditer(text):
        groups = re.split(r"[ .]", m[0])
        for n in range(len(groups), 1, -1):  # "FR62 401 112 024 00039": the longest valid prefix of groups
            code = "".join(groups[:n])
            if code not in (c for c, _ in found) and re.fullmatch(VAT_ID, code) and vat_id_valid(code):
                found.append((code, " ".join(groups[:n])))
                break
    return found
