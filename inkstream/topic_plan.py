"""Which topics exist: the plan ``inkstream up`` creates (``ops.stack.topics``), the audit
sink subscribes to and retention reads, as a pure function of the settings.

Every topic in ``settings.topics.topics`` and the five mission topics, plus
``documents.ingested.priority`` (the priority lane, same settings as
``documents.ingested``), plus a ``.dlq`` twin of each of them with ``settings.topics.dlq``.
Names are logical: ``settings.topics.name`` adds the prefix.
"""

from __future__ import annotations

from inkstream.settings import Settings, TopicConfig

__all__ = ["MISSION_TOPICS", "PRIORITY_TOPIC", "planned_topics", "topic_configs"]

# The five topics the pipeline moves documents through; each gets a `.dlq` twin.
MISSION_TOPICS = ("documents.ingested", "ocr.results", "fields.validated", "esign.events", "crm.commands")
PRIORITY_TOPIC = "documents.ingested.priority"


def topic_configs(cfg: TopicConfig) -> dict[str, str]:
    out = {"cleanup.policy": cfg.cleanup_policy}
    # retention_ms None means "keep forever" (-1), the right thing for compacted state.
    out["retention.ms"] = str(cfg.retention_ms if cfg.retention_ms is not None else -1)
    out.update(cfg.config)
    return out


def planned_topics(settings: Settings) -> dict[str, TopicConfig]:
    """Logical topic name -> its config, before the prefix is applied."""
    configured = dict(settings.topics.topics)
    plan: dict[str, TopicConfig] = {}
    for name in MISSION_TOPICS:
        plan[name] = configured.get(name, TopicConfig())
    plan.update(configured)
    plan.setdefault(PRIORITY_TOPIC, plan["documents.ingested"])
    # Every consumed topic needs a DLQ (the runtime routes failures to `<input>.dlq`), so
    # the twins cover the configured extras (documents.status, crm.dryrun...) as well.
    for name in [n for n in plan if not n.endswith(".dlq")]:
        plan.setdefault(f"{name}.dlq", settings.topics.dlq)
    return plan
