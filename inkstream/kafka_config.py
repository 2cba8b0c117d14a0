"""The one place a confluent-kafka client's properties are assembled.

``settings.kafka.client`` carries the librdkafka security properties of a real cluster
(``security.protocol=SASL_SSL``, ``sasl.mechanism=SCRAM-SHA-512``, ``sasl.username``,
``ssl.ca.location``, or mTLS ``ssl.certificate.location``/``ssl.key.location``). Every
Producer, Consumer and AdminClient the code builds takes its configuration from
``client_config`` so none of them can silently fall back to plaintext.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["client_config"]


def client_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """``bootstrap.servers`` + ``settings.kafka.client`` + the caller's own properties.

    The caller's properties (group.id, transactional.id, ...) win over ``client`` except
    for the security ones: a client may not downgrade the transport the operator chose.
    """
    security = {k: v for k, v in settings.kafka.client.items() if _is_security_key(k)}
    return {"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client, **extra, **security}


def _is_security_key(key: str) -> bool:
    return key == "security.protocol" or key.startswith(("sasl.", "ssl."))
