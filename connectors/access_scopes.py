"""The least-privilege OAuth scopes inkstream asks each CRM and e-sign provider for.

One source of truth: the consent URLs (``connectors.consent``) and DocuSign's JWT grant
(``connectors.esign.docusign.jwt_assertion``) request exactly these, and SECURITY.md
("Least-privilege scopes") lists them; ``tests/connectors/test_least_privilege_scopes.py``
fails when the code, the document or (for Acrobat Sign and Dropbox Sign) the vendor's
own API specification drift apart.

Each vendor states its scopes in its own object (``CrmVendor.scopes``,
``EsignVendor.scopes``); this module is where they are asked for. CRM scopes follow the
objects of the mapping in use: a record scope per mapped object, never a whole-CRM scope. ``setup`` scopes are only for ``inkstream crm setup`` (custom
fields), run once by an administrator with a separate, short-lived consent; the
pipeline's own token never holds them.

>>> crm_scopes("hubspot", ["companies"])
('crm.objects.companies.read', 'crm.objects.companies.write', 'crm.objects.contacts.read', 'crm.objects.contacts.write', 'files', 'timeline')
>>> crm_scopes("zoho", ["Accounts"], setup=True)
('ZohoCRM.settings.fields.ALL',)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from connectors.crm.registry import CRMS
from connectors.esign.registry import ESIGN
from connectors.registry import AttributeView
from inkstream.errors import ConfigError

__all__ = ["ESIGN_SCOPES", "crm_scopes", "mapped_objects", "scopes_for"]

# E-sign providers: what the connector's calls need, nothing more (EsignVendor.scopes).
ESIGN_SCOPES = AttributeView(ESIGN, "scopes")

_ROOT = Path(__file__).resolve().parents[1]


def mapped_objects(crm: str, mapping_file: Path | None = None) -> list[str]:
    """The CRM objects a mapping writes (default: the vendor's shipped mapping,
    ``mappings/<crm>.yaml`` unless its object names another)."""
    from connectors.crm.mapping import check_text

    path = mapping_file or CRMS.get(crm).shipped_mapping or _ROOT / "mappings" / f"{crm}.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: no mapping for {crm}; name the one in use (crm.mapping_file)")
    mapping, issues = check_text(path.read_text())
    if mapping is None:
        raise ConfigError(f"{path}: invalid mapping ({len(issues)} issues); `inkstream mapping check {path}`")
    return sorted({spec.object for spec in mapping.objects.values()})


def crm_scopes(crm: str, objects: Iterable[str], *, setup: bool = False) -> tuple[str, ...]:
    """The scopes for writing ``objects`` (or, ``setup``, for creating their custom fields)."""
    return CRMS.get(crm).scopes(list(objects), setup)


def scopes_for(provider: str, *, setup: bool = False, mapping_file: Path | None = None) -> tuple[str, ...]:
    """Scopes of a CRM (for ``mapping_file``, default its shipped mapping) or an e-sign provider."""
    if provider in ESIGN:
        if setup:
            raise ConfigError(f"{provider} has no setup step")
        return ESIGN.get(provider).scopes
    return crm_scopes(provider, mapped_objects(provider, mapping_file), setup=setup)
