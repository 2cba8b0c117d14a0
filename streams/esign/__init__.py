"""E-sign processors.

- ``esign.dispatch`` (:mod:`streams.esign.dispatcher`): ``crm.commands`` with
  ``operation=request_signature`` → an envelope at the provider (+ ``esign.envelopes``).
- ``esign.complete`` (:mod:`streams.esign.completion`): ``esign.events`` ``completed`` →
  signed PDF downloaded, hashed, stored at ``signed/<doc_id>/<sha256>.pdf`` →
  ``crm.commands`` (``attach_file``, ``update_signature_status``) and an ``esign.events``
  ``stored`` record carrying the claim check for the audit trail.
"""
