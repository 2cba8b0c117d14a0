"""The three vendor clients against fakes that validate every request against the
vendor's own spec (tests/fakes/esign_*.py)."""

from __future__ import annotations

import base64

import httpx
import pytest

from connectors.esign import EnvelopeRequest, EsignProvider, Recipient
from connectors.esign.acrobat_sign import AcrobatSign
from connectors.esign.docusign import DocuSign
from connectors.esign.dropbox_sign import DropboxSign
from connectors.esign.simulated import SimulatedProvider, signed_pdf
from inkstream.errors import ConfigError, EsignError, EsignRateLimited, EsignTransient
from fakes.esign_acrobat_sign import FakeAcrobatSign
from fakes.esign_docusign import FakeDocuSign
from fakes.esign_dropbox_sign import FakeDropboxSign
from fakes.esign_specs import docusign_errors

PDF = b"%PDF-1.4\n% inkstream test\n"


def _request(auth: str = "email", **recipient) -> EnvelopeRequest:
    return EnvelopeRequest(doc_id="doc-42", idempotency_key="key-42", title="Please sign: Acme contract", pdf=PDF,
                           recipients=(Recipient("Ada Lovelace", "ada@acme.example", auth=auth, **recipient),))


def _docusign(fake: FakeDocuSign, **kw) -> DocuSign:
    return DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                    account_id=fake.account_id, access_token=fake.token, **kw)


def test_every_provider_keeps_the_protocol():
    for provider in (_docusign(FakeDocuSign()), SimulatedProvider(),
                     AcrobatSign(httpx.Client(), base_url="https://x", access_token="t"),
                     DropboxSign(httpx.Client(), api_key="k")):
        assert isinstance(provider, EsignProvider)


def test_docusign_envelope_carries_the_pdf_and_doc_id_custom_field():
    fake = FakeDocuSign()
    created = _docusign(fake).create_envelope(_request())
    body = fake.envelopes[created.envelope_id]
    assert docusign_errors("envelopeDefinition", body) == []
    assert base64.b64decode(body["documents"][0]["documentBase64"]) == PDF
    fields = {f["name"]: f["value"] for f in body["customFields"]["textCustomFields"]}
    assert fields["doc_id"] == "doc-42" and fields["inkstream_idempotency_key"] == "key-42"
    assert body["status"] == "sent" and body["recipients"]["signers"][0]["email"] == "ada@acme.example"


@pytest.mark.parametrize("auth, expected", [
    ("sms", {"idCheckConfigurationName": "SMS Auth $", "smsAuthentication": {"senderProvidedNumbers": ["+447700900123"]}}),
    ("phone", {"idCheckConfigurationName": "Phone Auth $"}),
    ("kba", {"idCheckConfigurationName": "ID Check $"}),
    ("access_code", {"accessCode": "7391"}),
])
def test_docusign_recipient_authentication_is_passed_through(auth, expected):
    fake = FakeDocuSign()
    created = _docusign(fake).create_envelope(_request(auth, phone="+447700900123", access_code="7391"))
    signer = fake.envelopes[created.envelope_id]["recipients"]["signers"][0]
    assert expected.items() <= signer.items()


def test_docusign_refuses_an_auth_method_it_does_not_offer_instead_of_dropping_it():
    with pytest.raises(EsignError, match="idv"):
        _docusign(FakeDocuSign()).create_envelope(_request("idv"))


def test_docusign_downloads_the_combined_signed_pdf():
    fake = FakeDocuSign()
    client = _docusign(fake)
    envelope_id = client.create_envelope(_request()).envelope_id
    pdf = client.download_signed(envelope_id)
    assert pdf == signed_pdf(envelope_id, provider="docusign")  # what the fake rendered for this envelope
    assert fake.requests[-1].url.path.endswith(f"/envelopes/{envelope_id}/documents/combined")


def test_docusign_jwt_grant_gets_a_token_once_and_refreshes_it_before_expiry():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fake = FakeDocuSign(public_key=key.public_key())
    now = [1_000_000.0]
    client = DocuSign(httpx.Client(transport=fake.transport()), base_url="https://demo.docusign.net/restapi",
                      account_id=fake.account_id, oauth_base="https://account-d.docusign.com",
                      integration_key="ik", user_id="uid", private_key_pem=pem, clock=lambda: now[0])
    client.create_envelope(_request())
    client.create_envelope(_request())
    assert fake.token_grants == 1
    now[0] += 3600 - 30  # inside the last minute of the token's life
    client.create_envelope(_request())
    assert fake.token_grants == 2


def test_docusign_rate_limit_and_server_errors_become_retryable_errors():
    fake = FakeDocuSign()
    fake.fail_next = [429, 503]
    client = _docusign(fake)
    with pytest.raises(EsignRateLimited) as limited:
        client.create_envelope(_request())
    assert limited.value.retry_after == 7
    with pytest.raises(EsignTransient):
        client.create_envelope(_request())


def test_docusign_invalid_request_is_a_permanent_error_with_the_vendor_body():
    fake = FakeDocuSign()
    with pytest.raises(EsignError) as refused:
        _docusign(fake).download_signed("no-such-envelope")
    assert not isinstance(refused.value, EsignTransient) and "ENVELOPE_DOES_NOT_EXIST" in str(refused.value)


def test_acrobat_sign_uploads_a_transient_document_then_creates_the_agreement_with_external_id():
    fake = FakeAcrobatSign()
    client = AcrobatSign(httpx.Client(transport=fake.transport()), base_url="https://api.na1.adobesign.com",
                         access_token=fake.token)
    created = client.create_envelope(_request("kba"))
    body = fake.agreements[created.envelope_id]
    assert fake.transient[body["fileInfos"][0]["transientDocumentId"]] == PDF
    assert body["externalId"] == {"id": "doc-42"} and body["state"] == "IN_PROCESS"
    member = body["participantSetsInfo"][0]["memberInfos"][0]
    assert member == {"email": "ada@acme.example", "securityOption": {"authenticationMethod": "KBA"}}
    assert client.download_signed(created.envelope_id).startswith(b"%PDF-")


def test_acrobat_sign_phone_authentication_sends_phone_info():
    fake = FakeAcrobatSign()
    client = AcrobatSign(httpx.Client(transport=fake.transport()), base_url="https://x", access_token=fake.token)
    created = client.create_envelope(_request("sms", phone="+44 7700900123"))
    option = fake.agreements[created.envelope_id]["participantSetsInfo"][0]["memberInfos"][0]["securityOption"]
    assert option == {"authenticationMethod": "PHONE", "phoneInfo": {"countryCode": "+44", "phone": "7700900123"}}


def test_dropbox_sign_sends_the_file_with_doc_id_metadata_and_sms_authentication():
    fake = FakeDropboxSign()
    client = DropboxSign(httpx.Client(transport=fake.transport()), api_key="324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782")
    created = client.create_envelope(_request("sms", phone="+447700900123"))
    sent = fake.requests[created.envelope_id]
    assert sent["form"]["metadata"] == {"doc_id": "doc-42", "idempotency_key": "key-42"}
    assert sent["form"]["signers"][0]["sms_phone_number_type"] == "authentication"
    assert sent["files"]["files[0]"][1] == PDF


def test_dropbox_sign_download_retries_while_files_are_being_prepared():
    fake = FakeDropboxSign()
    client = DropboxSign(httpx.Client(transport=fake.transport()), api_key="324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782")
    envelope_id = client.create_envelope(_request("access_code", access_code="7391")).envelope_id
    assert fake.requests[envelope_id]["form"]["signers"][0]["pin"] == "7391"
    fake.not_ready.add(envelope_id)
    with pytest.raises(EsignTransient):
        client.download_signed(envelope_id)
    fake.not_ready.clear()
    assert client.download_signed(envelope_id).startswith(b"%PDF-")


def test_dropbox_sign_refuses_kba_which_it_does_not_offer():
    with pytest.raises(EsignError, match="kba"):
        DropboxSign(httpx.Client(transport=FakeDropboxSign().transport()), api_key="k").create_envelope(_request("kba"))


def test_wrong_credentials_are_a_permanent_error():
    client = DropboxSign(httpx.Client(transport=FakeDropboxSign().transport()), api_key="wrong")
    with pytest.raises(EsignError) as refused:
        client.create_envelope(_request())
    assert "401" in str(refused.value) and "wrong" not in str(refused.value)


def test_configured_credentials_select_the_real_provider_and_only_simulated_selects_the_simulation(base_settings):
    from pydantic import SecretStr

    from connectors.esign.providers import build_provider

    esign = base_settings.esign
    assert esign.provider == "simulated"  # tests/conftest.py: the explicit simulation mode
    configured = base_settings.model_copy(update={"esign": esign.model_copy(update={"provider": "docusign",
        "docusign": esign.docusign.model_copy(update={"account_id": "acct-1", "access_token": SecretStr("ds-token")}),
        "dropbox_sign": esign.dropbox_sign.model_copy(update={"api_key": SecretStr("k")}),
        "acrobat_sign": esign.acrobat_sign.model_copy(update={"access_token": SecretStr("t")})})})
    kinds = {name: type(build_provider(configured, name, httpx.Client())).__name__
             for name in ("docusign", "dropbox-sign", "acrobat-sign", "simulated")}
    assert kinds == {"docusign": "DocuSign", "dropbox-sign": "DropboxSign", "acrobat-sign": "AcrobatSign",
                     "simulated": "SimulatedProvider"}
    assert isinstance(build_provider(base_settings, "docusign", httpx.Client()), SimulatedProvider)
    # Issue 15 item 7: no credentials and no simulation configured = a clear error, not a simulation.
    live_mode = base_settings.model_copy(update={"esign": esign.model_copy(update={"provider": "docusign"})})
    with pytest.raises(ConfigError, match="docusign has no credentials.*esign.provider: simulated"):
        build_provider(live_mode, "docusign", httpx.Client())
    fake = FakeDocuSign()
    real = build_provider(configured, "docusign", httpx.Client(transport=fake.transport()))
    assert real.create_envelope(_request()).envelope_id in fake.envelopes


def test_docusign_finds_the_envelope_already_created_for_an_idempotency_key():
    fake = FakeDocuSign()
    client = _docusign(fake)
    assert client.find_envelope(_request()) is None
    created = client.create_envelope(_request())
    assert client.find_envelope(_request()).envelope_id == created.envelope_id
    other = EnvelopeRequest(doc_id="doc-43", idempotency_key="key-43", title="t", pdf=PDF,
                            recipients=(Recipient("B", "b@x.example"),))
    assert client.find_envelope(other) is None


def test_acrobat_sign_finds_a_live_agreement_for_the_document():
    fake = FakeAcrobatSign()
    client = AcrobatSign(httpx.Client(transport=fake.transport()), base_url="https://x", access_token=fake.token)
    assert client.find_envelope(_request()) is None
    created = client.create_envelope(_request())
    assert client.find_envelope(_request()).envelope_id == created.envelope_id
