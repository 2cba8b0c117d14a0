"""Whether a service may start (``inkstream/fail_closed.py`` says why it fails closed):
the shipped-secret check from the core, and the mode check that needs the vendors' own
answer to "are there credentials?", which is why this sits with the connectors.
"""

from __future__ import annotations

import logging

from inkstream.errors import ConfigError
from inkstream.fail_closed import shipped_secrets

__all__ = ["require_startable"]

log = logging.getLogger("inkstream.fail_closed")  # the name its warnings always had
_ESIGN = {"esign.dispatch", "esign.complete"}


def _mode_problems(settings, service: str) -> list[str]:
    problems: list[str] = []
    if service == "crm" and settings.crm.dry_run is not True:
        from connectors.crm.factory import has_credentials
        from connectors.crm.registry import vendor_settings

        crm = settings.crm.crm
        if not has_credentials(vendor_settings(settings, crm)):  # crm.<name>, declared or a registered vendor's
            problems.append(f"the CRM {crm} has no credentials: set crm.{crm}.client_id + client_secret "
                            f"(+ refresh_token) or access_token (INKSTREAM_CRM__{crm.upper()}__...), "
                            f"or crm.dry_run: true to record what would be sent")
    if service in _ESIGN and settings.esign.provider != "simulated":
        from connectors.esign import provider_name
        from connectors.esign.providers import has_credentials

        for name in sorted({provider_name(settings.esign.provider), provider_name(settings.crm.esign_provider)}):
            if name != "simulated" and not has_credentials(settings, name):
                problems.append(f"the e-sign provider {name} has no credentials: set esign.{name}.* "
                                f"(INKSTREAM_ESIGN__{name.upper()}__...), or esign.provider: simulated")
    return problems


def require_startable(settings, service: str) -> None:
    """ConfigError naming every setting to set, or nothing."""
    problems = _mode_problems(settings, service)
    shipped = shipped_secrets(settings, service)
    if shipped and settings.environment != "development":
        problems.append("shipped development secrets in use (public in the repository); set "
                        + "; ".join(shipped) + " — or environment: development for local work")
    elif shipped:  # called once, where the process starts
        log.warning("%s uses LOCAL DEVELOPMENT secrets (accepted: environment is development): %s",
                    service, "; ".join(shipped))
    if problems:
        raise ConfigError(f"{service} will not start: " + " | ".join(problems))
