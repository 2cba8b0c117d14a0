"""One frozen settings object, read once at the edge (the CLI), then passed in.

Sources, highest first: keyword arguments, environment (``INKSTREAM_<SECTION>__<FIELD>``,
plus the conventional ``KAFKA_BOOTSTRAP_SERVERS``, ``S3_ENDPOINT``, ``CLICKHOUSE_URL``,
``SCHEMA_REGISTRY_URL``), the YAML config file (``INKSTREAM_CONFIG`` or ``./inkstream.yaml``),
then the defaults below.

>>> s = load_settings(data_dir="/tmp/x")
>>> s.kafka.external
False
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from inkstream.errors import ConfigError

__all__ = ["Settings", "load_settings", "TopicConfig"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KafkaSettings(_Section):
    bootstrap_servers: str | None = Field(None, description="External cluster; unset = the local broker.")
    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int = 9093
    heap_mb: int = 512
    # `inkstream status`/`up` warn above this many partitions on the broker: the 512 MB heap died
    # near 12,000, left by test runs (`inkstream prune-test-topics`); 0 = no warning.
    partition_warn: int = 1000
    version: str = "4.4.0"
    schema_registry_url: str | None = None
    # Extra librdkafka properties (security.protocol, sasl.*, ssl.*), passed to every client.
    client: dict[str, str] = {}

    @property
    def external(self) -> bool:
        return bool(self.bootstrap_servers)

    @property
    def bootstrap(self) -> str:
        return self.bootstrap_servers or f"{self.host}:{self.port}"


class S3Settings(_Section):
    endpoint: str | None = Field(None, description="External S3 endpoint URL; unset = the local server.")
    host: str = "127.0.0.1"
    port: int = 7070
    # Unset: the credentials `inkstream up` generated into <data_dir>/conf/s3-credentials.json
    # (0600), else the fixed ones of a stack provisioned before that (development only):
    # inkstream/fail_closed.py::s3_credentials.
    access_key: str | None = None
    secret_key: SecretStr | None = None
    region: str = "us-east-1"
    bucket: str = "inkstream"

    @property
    def external(self) -> bool:
        return bool(self.endpoint)

    @property
    def url(self) -> str:
        return self.endpoint or f"http://{self.host}:{self.port}"


class ClickHouseSettings(_Section):
    url: str | None = Field(None, description="ClickHouse server URL; unset = embedded chDB under the data dir.")
    database: str = "inkstream"

    @property
    def external(self) -> bool:
        return bool(self.url)


class PrometheusSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9090


class AlertmanagerSettings(_Section):
    """The local Alertmanager (``ops/stack/alertmanager.py``), run with the local Prometheus
    (both ``enabled``), which sends it alerts."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 9097          # 9093 is Kafka's controller, 9094 Alertmanager's (disabled) cluster port
    webhook_url: str = ""     # the local receiver's webhook (empty: alerts listed, not sent)
    group_wait: str = "10s"


class RegistrySettings(_Section):
    """The local stack's schema registry (Confluent API, ``ops/stack/schema_registry.py``). While it
    answers, codecs write the Confluent wire format; ``kafka.schema_registry_url`` names
    another registry instead."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 8085
    compatibility: str = "FULL"  # backward and forward, as schemas/history demands

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class TopicConfig(_Section):
    partitions: int = 6
    replication_factor: int = 1
    retention_ms: int | None = 7 * 24 * 3600 * 1000
    cleanup_policy: str = "delete"
    config: dict[str, str] = {}


class TopicSettings(_Section):
    prefix: str = Field("", description="Prepended to every topic name (tests use a unique one).")
    topics: dict[str, TopicConfig] = {}
    dlq: TopicConfig = TopicConfig(partitions=1, retention_ms=30 * 24 * 3600 * 1000)

    def name(self, logical: str) -> str:
        return f"{self.prefix}{logical}"


class OcrSettings(_Section):
    engine: str = "rapidocr"
    device: str = "cpu"
    dpi: int = 200
    max_pages: int = 50
    workers: int = 0  # 0 = one per core
    low_confidence: float = 0.80
    # PP-OCRv6 size: small | tiny (rapidocr also tiny-det: tiny detector, small recogniser).
    # Default tiny: bench/ocr_engines.py --options (rapidocr, det_side 1280, arena) 0.90 CPU s/page
    # at CER 0.37% on its 9 pages, against 5.11 s at 0.34% for small with full-page detection.
    model: str = "tiny"
    threads: int = 1  # onnxruntime intra-op threads per worker process (workers x threads <= cores)
    preprocess: bool = True  # page orientation (0/90/180/270) + deskew before reading
    reread_below: float = 0.90  # lines scoring under this are re-read by reread_engine (0 = off)
    reread_engine: str | None = None  # second opinion for doubtful lines ("rapidocr:small"); None = same rec at 1.5x
    det_side: int = 1280  # rapidocr: detect on the page scaled to this longer side (0 = full page)
    mem_arena: bool = True  # rapidocr: onnxruntime's CPU memory arena (allocations reused between pages)
    # rapidocr detection budget: "side" = the longer side <= det_side; "area" = as many pixels as a
    # letter page whose longer side is det_side (a till roll keeps its width). Measured on 47 real
    # receipts and the synthetic ones (streams/ocr/NOTES.md): "area" no better, so "side" stays.
    det_limit: str = "side"
    # rapidocr shrinks a whole page whose longer side passes this before det AND rec (its own
    # default 2000 shrank the small print of long receipts); 0 = never (max_page_pixels bounds pages).
    max_side: int = 0
    enhance: bool = True  # preprocess: faint print (thermal paper, dim photos) flattened and darkened
    # read again by digit_check_engine: every line holding a date or a document number, other
    # lines with digits only when scoring under digit_check_below (reader.cross_check_digits);
    # agreement raises the score (dates and numbers must agree on two cuts), any disagreement
    # caps it at 0.90 (review); 0 or None = off
    digit_check_below: float = 0.97
    digit_check_engine: str | None = "rapidocr:small"
    # rapidocr: characters the recogniser may emit; "latin" (the seven languages' scripts) keeps
    # the Chinese-trained models from reading '%' as '号'; "all" = the model's whole dictionary
    charset: str = "latin"
    lane: str = "all"  # which ingest topics `run ocr` consumes: all | priority | bulk
    # Hostile files (SECURITY.md): a page over max_page_pixels is rendered at the dpi that
    # fits (the page records why); an image frame declaring more than max_image_pixels is
    # refused before decoding; OCR workers and the review server run under a data-segment
    # ceiling of memory_limit_mb (RLIMIT_DATA; 0 = none).
    max_page_pixels: int = 25_000_000
    max_image_pixels: int = 89_478_485
    memory_limit_mb: int = 2048


class ExtractionSettings(_Section):
    accept: float = 0.90
    review: float = 0.60
    per_field: dict[str, dict[str, float]] = {}
    version: str = "rules-3"  # rules-1, rules-2 (English only), rules-3 (seven languages), memory-1 (+ sender memory)
    candidate_version: str | None = None
    candidate_share: float = 0.0
    date_locale: str | None = None  # US = month first, EU = day first for 03/04/2026; unset = review
    # Optional fields that hold a document when printed but not accepted, per type (streams/extract/
    # policy.py); unset = its defaults. E.g. {invoice: [due_date]} for a buyer with one company.
    when_printed: dict[str, list[str]] | None = None
    # The buyer's own companies (legal names and/or VAT ids). Set: an invoice's customer must be
    # one of them to be accepted, and a customer printed and not accepted holds the invoice.
    # Unset: nothing to check the customer against; it is shown, and holds nothing (policy.py).
    own_companies: list[str] = []


class HttpSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8080
    max_upload_bytes: int = 50 * 1024 * 1024
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # CA (PEM) that signed tls_cert: what Prometheus and the health checks verify our
    # listeners against; default tls_cert itself (a self-signed certificate).
    tls_ca: Path | None = None
    # No certificate with require_tls = the HTTP services refuse to start (inkstream/tls.py).
    require_tls: bool = False


class ReviewSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8081
    # Reviewers and bearer tokens (hashed), default <data_dir>/review/users.json.
    users_file: Path | None = None
    session_max_age_s: int = 8 * 3600
    max_body_bytes: int = 1024 * 1024      # forms and corrections; larger bodies get 413 while read


class CaptureSettings(_Section):
    """Capture listeners (HTTP upload, SMTP, IMAP, hot folder, FTP) and intake limits."""

    max_bytes: int = 50 * 1024 * 1024          # any single file, every source
    max_image_pixels: int = 89_478_485         # Pillow's default bomb threshold
    apikeys_file: Path | None = None           # default <data_dir>/capture/apikeys.json
    api_workers: int = 1                       # upload API processes (uvicorn workers); 0 = one per core
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_max_bytes: int = 60 * 1024 * 1024     # whole message (base64 grows attachments ~4/3)
    inline_min_bytes: int = 20 * 1024          # smaller inline images/logos are skipped
    imap_host: str | None = None
    imap_port: int = 993
    imap_ssl: bool = True
    imap_user: str | None = None
    imap_password: str | None = None
    imap_mailbox: str = "INBOX"
    imap_interval_s: float = 60.0
    folder: Path | None = None                 # default <data_dir>/hotfolder
    folder_stable_s: float = 2.0
    folder_interval_s: float = 1.0
    ftp_host: str = "127.0.0.1"
    ftp_port: int = 2121
    ftp_user: str = "scanner"
    ftp_password: str | None = None
    # SMTP STARTTLS and explicit FTPS (inkstream/tls.py::capture_tls). Unset: http's
    # certificate and http.require_tls. Required = no mail/login before the upgrade.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    require_tls: bool | None = None


class CrmVendorSettings(_Section):
    """Endpoints and credentials of one CRM. Secrets come from env
    (``INKSTREAM_CRM__SALESFORCE__CLIENT_SECRET``) or a ``*_file`` (mounted secret)."""

    base_url: str | None = None        # Salesforce instance URL; HubSpot API host; Zoho api_domain override
    auth_url: str | None = None        # token host: Salesforce login/My Domain, Zoho accounts (data centre)
    api_version: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_secret_file: Path | None = None
    refresh_token: SecretStr | None = None
    refresh_token_file: Path | None = None
    access_token: SecretStr | None = None   # HubSpot private-app token
    access_token_file: Path | None = None
    requests_per_10s: int | None = None     # HubSpot burst limit of the app's tier
    # HubSpot timeline event template ids of the app, per e-sign event (sent, viewed, signed,
    # completed, declined); an event without a template stays a note.
    timeline_templates: dict[str, str] = {}
    # Inbound CRM webhooks (connectors/crm/inbound.py): Zoho notification token; Salesforce
    # outbound-message URL token and the org id the messages must name.
    notify_token: SecretStr | None = None
    notify_token_file: Path | None = None
    organization_id: str | None = None

    def secret(self, name: str) -> str | None:
        """The secret ``name`` from the setting or its file; never logged."""
        value: SecretStr | None = getattr(self, name)
        if value is not None:
            return value.get_secret_value()
        path: Path | None = getattr(self, f"{name}_file")
        return path.read_text().strip() if path is not None else None


class CrmSettings(_Section):
    # A CRM registered without a section here (connectors/crm/registry.py) is configured as
    # crm.<name>; connectors.crm.registry.check_settings refuses keys that name no CRM.
    model_config = ConfigDict(frozen=True, extra="allow")

    crm: str = "salesforce"                 # the CRM the mapper targets (mappings/<crm>.yaml)
    mapping_file: Path | None = None
    # true: record what would be sent, send nothing (the demo). Otherwise the CRM needs
    # credentials: `run crm` without them stops with the setting to set (never a silent dry run).
    dry_run: bool | None = None
    esign_provider: str = "docusign"        # target of request_signature commands
    max_attempts: int = 5                   # per HTTP call, for 429/5xx
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    timeout_s: float = 30.0
    # record: one command at a time (latency); bulk: a checkpoint's upserts through the batch
    # APIs (backlogs; streams/crm/batch.py). Salesforce Bulk API 2.0 from bulk_min_rows rows
    # of one object, sObject Collections below.
    lane: Literal["record", "bulk"] = "record"
    bulk_min_rows: int = Field(2000, ge=1)
    bulk_max_records: int = Field(20_000, ge=1)   # commands per checkpoint (~7 per document)
    bulk_max_seconds: float = Field(30.0, gt=0)   # processing bound of a checkpoint
    salesforce: CrmVendorSettings = CrmVendorSettings(auth_url="https://login.salesforce.com", api_version="62.0")
    hubspot: CrmVendorSettings = CrmVendorSettings(base_url="https://api.hubapi.com",
                                                   auth_url="https://api.hubapi.com", requests_per_10s=100)
    zoho: CrmVendorSettings = CrmVendorSettings(auth_url="https://accounts.zoho.com", api_version="8")


class EsignProviderSettings(_Section):
    """Endpoint and credentials of one e-sign provider. Secrets are SecretStr (never logged);
    with no credentials the e-sign processors refuse to start unless ``esign.provider`` is
    ``simulated`` (the demo)."""

    base_url: str | None = None
    account_id: str | None = None             # DocuSign account id
    access_token: SecretStr | None = None     # DocuSign / Acrobat Sign OAuth access token
    integration_key: str | None = None        # DocuSign JWT grant: client id
    user_id: str | None = None                # DocuSign JWT grant: impersonated user
    private_key_file: Path | None = None      # DocuSign JWT grant: RSA key (PEM)
    oauth_base: str | None = None             # DocuSign account server
    idv_workflow_id: str | None = None        # DocuSign: the account's ID verification workflow (auth: idv)
    api_key: SecretStr | None = None          # Dropbox Sign API key (also its webhook key)
    # Webhook verification. The defaults are shipped development values: outside
    # environment=development the gateway refuses to start with them (inkstream/fail_closed.py).
    webhook_keys: list[SecretStr] = []        # DocuSign Connect HMAC keys / Standard Webhooks whsec_ secrets
    client_ids: list[str] = []                # Acrobat Sign: client ids whose notifications are accepted


class EsignSettings(_Section):
    # A provider registered without a section here (connectors/esign/registry.py) is configured
    # as esign.<name>; connectors.esign.registry.check_settings refuses keys that name none.
    model_config = ConfigDict(frozen=True, extra="allow")

    # docusign | acrobat_sign | dropbox_sign; `simulated` = every provider is the local
    # simulation (the demo sets it; never chosen for lack of credentials).
    provider: str = "docusign"
    webhooks_port: int = 8082                 # `inkstream run webhooks` (behind a TLS proxy in production)
    crm_target: str = "dryrun"                # CRM that gets the signed file when the command names none
    replay_window_s: int = 300                # Standard Webhooks timestamp tolerance (reference libs: 5 min)
    seen_ids_per_envelope: int = 200          # redelivery ids remembered in the envelope state
    # Oldest signed event time accepted per provider: each vendor's retry horizon plus a margin
    # (Dropbox Sign ~3 days, Acrobat Sign 72 h); older deliveries are refused as stale replays.
    max_event_age_s: dict[str, int] = {"docusign": 15 * 86400, "dropbox_sign": 4 * 86400, "acrobat_sign": 4 * 86400}
    timeout_s: float = 30.0
    max_webhook_bytes: int = 10 * 1024 * 1024   # larger bodies get 413 (Connect can include documents)
    docusign: EsignProviderSettings = EsignProviderSettings(
        base_url="https://demo.docusign.net/restapi", oauth_base="https://account-d.docusign.com",
        webhook_keys=[SecretStr("inkstream-local-docusign-connect-key")])
    acrobat_sign: EsignProviderSettings = EsignProviderSettings(
        base_url="https://api.na1.adobesign.com", client_ids=["inkstream-local-client-id"])
    dropbox_sign: EsignProviderSettings = EsignProviderSettings(
        base_url="https://api.hellosign.com/v3", webhook_keys=[SecretStr("inkstream-local-dropbox-sign-key")])
    standard: EsignProviderSettings = EsignProviderSettings(
        webhook_keys=[SecretStr("whsec_aW5rc3RyZWFtLWxvY2FsLXN0YW5kYXJkLWtleQ==")])


class AuditSettings(_Section):
    """The audit sink (the only ClickHouse writer) and its localhost query endpoint."""

    batch_max_records: int = 5000      # flush when this many records are buffered...
    batch_max_seconds: float = 1.0     # ...or when the oldest buffered record is this old
    query_host: str = "127.0.0.1"      # the sink's read-only SQL endpoint (chDB has one owner)
    query_port: int = 8124             # 0 = any free port (written to <data_dir>/audit-query.json)
    query_row_limit: int = 10_000
    query_max_memory_mb: int = Field(1024, ge=16)   # per analyst statement (ClickHouse max_memory_usage)
    query_max_seconds: float = Field(30.0, gt=0)    # per analyst statement (max_execution_time)


class WebhooksOutSettings(_Section):
    """Outbound webhooks to integrators (``connectors/webhooks_out``)."""

    max_attempts: int = Field(8, ge=1)          # then webhooks.deliveries.dlq
    backoff_s: float = Field(5.0, gt=0)         # attempt n waits backoff_s * 2**(n-1)...
    backoff_max_s: float = Field(3600.0, gt=0)  # ...at most this
    timeout_s: float = Field(10.0, gt=0)        # per POST
    allow_http: bool = False                    # plain-http receiver URLs (tests, local dev)
    allow_private: bool = False                 # receivers on loopback/private addresses (tests)
    subscriptions_file: Path | None = None      # default <data_dir>/webhooks/subscriptions.json (0600)


class CryptoSettings(_Section):
    """Encryption at rest (``inkstream/crypto``): key ring, per-document keys, what is sealed."""

    keyring_file: Path | None = None           # default <data_dir>/keys/keyring.json (0600)
    document_keys_dir: Path | None = None      # default <data_dir>/keys/documents
    key_cache_seconds: float = 30.0            # a destroyed key stops working everywhere within this
    encrypt_objects: bool = True               # originals and signed files sealed before upload
    encrypt_records: bool = True               # personal-data topics sealed with the document's key
    # Key service across hosts (inkstream/crypto/keytopic.py, vault.py): "kafka" keeps wrapped
    # document keys and erasures in a compacted topic every process follows; "vault" wraps them
    # with Vault/OpenBao transit (token from INKSTREAM_CRYPTO__VAULT_TOKEN, never in a file).
    key_store: Literal["files", "kafka"] = "files"
    key_topic: str = "keys.documents"
    kms: Literal["local", "vault"] = "local"
    vault_url: str | None = None
    vault_token: str | None = Field(None, repr=False)
    vault_key: str = "inkstream"

    def keyring_path(self, data_dir: Path) -> Path:
        return self.keyring_file or Path(data_dir) / "keys" / "keyring.json"

    def document_keys_path(self, data_dir: Path) -> Path:
        return self.document_keys_dir or Path(data_dir) / "keys" / "documents"


class DocRetention(_Section):
    """How long one document type's data is kept, in days (None = until erased by hand)."""

    originals_days: int | None = Field(None, ge=1)   # S3 originals/ (every version)
    signed_days: int | None = Field(None, ge=1)      # S3 signed/ (every version)
    fields_days: int | None = Field(None, ge=1)      # ClickHouse fields and extractions rows
    # OCR text lives in the ocr.results topic: its retention_ms (topics.topics, the one
    # source for Kafka) must not outlive the shortest of these; the report flags it if it does.
    ocr_text_days: int | None = Field(None, ge=1)


class RetentionSettings(_Section):
    """Per document type retention, applied by ``inkstream retention apply`` (ops/retention)."""

    doc_types: dict[str, DocRetention] = {
        "contract": DocRetention(originals_days=3650, signed_days=3650, fields_days=3650, ocr_text_days=30),
        "invoice": DocRetention(originals_days=3650, signed_days=3650, fields_days=3650, ocr_text_days=30),
    }
    default: DocRetention = DocRetention(originals_days=365, signed_days=365, fields_days=365, ocr_text_days=30)
    # ClickHouse tables without a doc_type column: table -> days (absent = no TTL).
    tables: dict[str, int] = {"crm_dryrun": 90, "webhook_rejections": 90, "dlq_events": 90}
    # auto: S3 lifecycle rules where the server has them, else `apply` deletes expired versions itself.
    s3_mode: str = Field("auto", pattern="^(auto|lifecycle|sweep)$")

    @field_validator("doc_types")
    @classmethod
    def _names(cls, value: dict[str, DocRetention]) -> dict[str, DocRetention]:
        # The names go into ClickHouse TTL expressions and S3 tags: plain identifiers only.
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
                raise ValueError(f"retention.doc_types: {name!r} is not a lower-case identifier")
        return value

    def for_type(self, doc_type: str | None) -> DocRetention:
        return self.doc_types.get(doc_type or "", self.default)


_INSTANCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def _hostname_instance_id() -> str:
    """This host's name, cut to what a Kafka id and a Prometheus label value take well."""
    import socket

    name = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname().split(".")[0]).strip("-._")
    return (name or "host")[:63]


class InstanceSettings(_Section):
    """Who this process is among many hosts (issue 13): ``id`` goes into every transactional
    id, consumer group member id (``group.instance.id``, ``client.id``) and Prometheus
    target label; ``bind`` is the listen address of each worker's /metrics + /healthz;
    ``advertise`` the address Prometheus is told to scrape (default: ``bind``, or the
    hostname when ``bind`` is a wildcard)."""

    id: str | None = None  # default: the hostname; set it when two instances share a host
    bind: str = "127.0.0.1"
    advertise: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str | None) -> str | None:
        if v is not None and not _INSTANCE_ID.fullmatch(v):
            raise ValueError("instance.id: 1-63 of A-Z a-z 0-9 . _ - (it is part of Kafka ids and labels)")
        return v

    @property
    def name(self) -> str:
        return self.id or _hostname_instance_id()

    @property
    def advertised(self) -> str:
        if self.advertise:
            return self.advertise
        if self.bind in ("0.0.0.0", "::", ""):
            import socket

            return socket.gethostname()
        return self.bind


class StateSettings(_Section):
    """Where API keys, reviewers and review sessions live. ``file``: the data dir (one host,
    no broker needed to read them). ``kafka``: the compacted ``topic`` every instance follows
    (N hosts behind a load balancer; inkstream/shared_table.py)."""

    backend: Literal["file", "kafka"] = "file"
    topic: str = "admin.state"
    max_staleness_s: float = 30.0  # follower out of touch with Kafka this long: refuse (fail closed)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INKSTREAM_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    data_dir: Path = Path(".inkstream")
    # development: shipped secrets (webhook keys, the fixed local S3 key) are accepted; the
    # demo and the tests set it. Anything else refuses them at start (inkstream/fail_closed.py).
    environment: Literal["development", "production"] = "production"
    kafka: KafkaSettings = KafkaSettings()
    s3: S3Settings = S3Settings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()


    registry: RegistrySettings = RegistrySettings()
    topics: TopicSettings = TopicSettings()
    ocr: OcrSettings = OcrSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    http: HttpSettings = HttpSettings()
    audit: AuditSettings = AuditSettings()
    webhooks_out: WebhooksOutSettings = WebhooksOutSettings()
    capture: CaptureSettings = CaptureSettings()
    review: ReviewSettings = ReviewSettings()
    crm: CrmSettings = CrmSettings()
    esign: EsignSettings = EsignSettings()
    crypto: CryptoSettings = CryptoSettings()
    retention: RetentionSettings = RetentionSettings()
    instance: InstanceSettings = InstanceSettings()
    state: StateSettings = StateSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    """Reads ``INKSTREAM_CONFIG`` or ``./inkstream.yaml`` when present."""

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("INKSTREAM_CONFIG", "inkstream.yaml"))
        if not path.exists():
            if "INKSTREAM_CONFIG" in os.environ:
                raise ConfigError(f"INKSTREAM_CONFIG={path} does not exist")
            return {}
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a mapping at the top level")
        return data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused by __call__ sources
        return None, field_name, False


# Conventional variable names that point inkstream at external services.
_EXTERNAL_ENV = {
    "KAFKA_BOOTSTRAP_SERVERS": ("kafka", "bootstrap_servers"),
    "SCHEMA_REGISTRY_URL": ("kafka", "schema_registry_url"),
    "S3_ENDPOINT": ("s3", "endpoint"),
    "CLICKHOUSE_URL": ("clickhouse", "url"),
}


def load_settings(**overrides: Any) -> Settings:
    """Build the settings once; ``overrides`` win over everything (used by the CLI's flags)."""
    nested: dict[str, dict[str, Any]] = {}
    for var, (section, field) in _EXTERNAL_ENV.items():
        if os.environ.get(var):
            nested.setdefault(section, {})[field] = os.environ[var]
    if "INKSTREAM_DATA_DIR" in os.environ and "data_dir" not in overrides:
        overrides["data_dir"] = os.environ["INKSTREAM_DATA_DIR"]
    for section, values in nested.items():
        merged = dict(values)
        if section in overrides:
            merged.update(overrides[section] if isinstance(overrides[section], dict) else overrides[section].model_dump())
        overrides[section] = merged
    try:
        settings = Settings(**overrides)
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError: say which setting is wrong
        raise ConfigError(f"invalid settings: {exc}") from exc
    return settings
