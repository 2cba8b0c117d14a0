"""The one operation dispatch of every CRM connector (connectors/crm/operations.py)."""

from __future__ import annotations

import pytest

from connectors.crm import ApplyResult, Attachment
from connectors.crm.hubspot import HubSpotConnector
from connectors.crm.operations import OPERATIONS, dispatch
from connectors.crm.salesforce import SalesforceConnector
from connectors.crm.zoho import ZohoConnector
from inkstream.errors import CrmPermanentError


class NoHttp:
    """Refusals happen before any request: touching the client fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"the connector used its HTTP client ({name}) for a refused command")


CONNECTORS = [
    SalesforceConnector(NoHttp(), instance_url="https://example.my.salesforce.com"),
    HubSpotConnector(NoHttp()),
    ZohoConnector(NoHttp(), api_domain="https://www.zohoapis.eu"),
]
FILE = Attachment(data=b"%PDF-", file_name="a.pdf", content_type="application/pdf", sha256="0" * 64)


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda c: c.name)
def test_an_unknown_operation_is_a_permanent_error_naming_the_crm(connector):
    with pytest.raises(CrmPermanentError, match=f"{connector.name} cannot apply operation 'delete_record'"):
        connector.apply({"operation": "delete_record"})


@pytest.mark.parametrize("connector", CONNECTORS, ids=lambda c: c.name)
def test_attach_file_without_the_file_bytes_is_a_permanent_error(connector):
    with pytest.raises(CrmPermanentError, match="attach_file without file bytes"):
        connector.apply({"operation": "attach_file"}, None)


def test_each_operation_reaches_its_handler():
    calls = []

    def handler(name):
        def run(command, *rest):
            calls.append((name, command["operation"], rest))
            return ApplyResult("updated", name)
        return run

    handlers = {"upsert": handler("upsert"), "attach": handler("attach"), "timeline": handler("timeline")}
    for op in OPERATIONS:
        dispatch("crm", {"operation": op}, FILE if op == "attach_file" else None, **handlers)
    assert calls == [("upsert", "upsert", ()), ("upsert", "update_signature_status", ()),
                     ("attach", "attach_file", (FILE,)), ("timeline", "timeline_event", ())]
