"""Kafka in KRaft combined mode (one broker that is also the controller) from the
``org.apache.kafka:kafka_2.13`` jars on Maven Central.

Maven resolves the jars once into ``<data_dir>/cache/kafka-<version>/lib`` (its local
repository also lives under the cache, so a fresh machine downloads once and a wiped
``~/.m2`` does not matter); the storage directory is formatted once; the broker runs
detached with a 512 MB heap and logs to ``<data_dir>/logs/kafka.log`` through log4j2.
"""

from __future__ import annotations

import base64
import re
import subprocess
import uuid
from pathlib import Path

from inkstream.errors import StackError
from inkstream.settings import Settings
from ops.stack import process
from ops.stack.layout import Layout
from inkstream.kafka_config import client_config

__all__ = ["provision", "start", "healthy", "managed", "classpath", "java_argv"]

# The broker, plus kafka-tools for Kafka's own console consumer/producer, plus the
# log4j2 binding for SLF4J so the broker logs through our properties file.
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.inkstream</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{version}</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.25.5</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
    <executions><execution><id>copy</id><phase>package</phase><goals><goal>copy-dependencies</goal></goals>
      <configuration><outputDirectory>${{outputDir}}</outputDirectory><includeScope>runtime</includeScope></configuration>
    </execution></executions>
  </plugin></plugins></build>
</project>
"""

_LOG4J2 = """# Written by `inkstream up`: broker INFO and above to one rolling file, nothing to stdout.
status = error
name = inkstream-kafka
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log}
appender.file.filePattern = {log}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.server.name = org.apache.kafka
logger.server.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""

# Kafka's command-line tools (StorageTool, console consumer...): warnings to stderr only,
# never into the broker's log file.
_TOOLS_LOG4J2 = """status = error
name = inkstream-kafka-tools
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
"""

_SERVER = """# Written by `inkstream up` from inkstream settings; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{host}:{cport}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}
advertised.listeners=PLAINTEXT://{host}:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={data}
num.partitions=1
# One broker: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests and processors join groups constantly; waiting 3 s per join buys nothing here.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""


def _lib(layout: Layout, settings: Settings) -> Path:
    return layout.cache / f"kafka-{settings.kafka.version}" / "lib"


def classpath(layout: Layout, settings: Settings) -> str:
    return str(_lib(layout, settings) / "*")


def managed(layout: Layout) -> process.Managed:
    return process.Managed("kafka", layout.run / "kafka.pid", layout.logs / "kafka.stdout.log",
                           marker=str(layout.conf / "kafka" / "server.properties"))


def _java_version() -> int:
    java = process.require_tool("java")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise StackError(f"cannot read the Java version from `java -version`: {out.strip()[:200]}")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major


def provision(layout: Layout, settings: Settings) -> bool:
    """Resolve the Kafka jars with Maven once. Returns True if it downloaded anything."""
    lib = _lib(layout, settings)
    done = lib.parent / ".complete"
    if done.exists():
        return False
    if _java_version() < 17:
        raise StackError("Kafka 4 needs Java 17+: apt-get install -y openjdk-17-jre-headless")
    mvn = process.require_tool("mvn")
    build = lib.parent / "build"
    build.mkdir(parents=True, exist_ok=True)
    (build / "pom.xml").write_text(_POM.format(version=settings.kafka.version))
    argv = [mvn, "-B", "-q", "-f", str(build / "pom.xml"), "package",
            f"-DoutputDir={lib}", f"-Dmaven.repo.local={layout.cache / 'm2'}"]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip()[-1500:]
        raise StackError(
            f"Maven could not resolve org.apache.kafka:kafka_2.13:{settings.kafka.version} "
            f"from Maven Central (is the registry reachable? is the version right?):\n{tail}"
        )
    done.write_text(settings.kafka.version + "\n")
    return True


def java_argv(layout: Layout, settings: Settings, main: str, *args: str, heap_mb: int = 256,
              log_config: str = "tools-log4j2.properties") -> list[str]:
    """``java`` running ``main`` from the Kafka lib dir (broker, StorageTool, console tools)."""
    conf = layout.conf / "kafka" / log_config
    if not conf.exists():
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(_TOOLS_LOG4J2)
    return [process.require_tool("java"), f"-Xmx{heap_mb}m", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={conf}", "-cp", classpath(layout, settings), main, *args]


def _write_config(layout: Layout, settings: Settings) -> Path:
    conf = layout.conf / "kafka"
    conf.mkdir(parents=True, exist_ok=True)
    k = settings.kafka
    server = conf / "server.properties"
    server.write_text(_SERVER.format(host=k.host, port=k.port, cport=k.controller_port,
                                     data=layout.data / "kafka"))
    (conf / "log4j2.properties").write_text(_LOG4J2.format(log=layout.logs / "kafka.log"))
    (conf / "tools-log4j2.properties").write_text(_TOOLS_LOG4J2)
    return server


def _cluster_id() -> str:
    """A Kafka cluster id (a base64url UUID) that does not start with "-".

    One id in 64 would, and the storage tool then reads it as an option ("argument
    --cluster-id/-t: expected one argument"); Kafka's own ``Uuid.randomUuid`` skips those too.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _format_once(layout: Layout, settings: Settings, server: Path) -> None:
    data = layout.data / "kafka"
    if (data / "meta.properties").exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    cluster_id = _cluster_id()
    argv = java_argv(layout, settings, "kafka.tools.StorageTool", "format",
                     "-t", cluster_id, "-c", str(server), "--ignore-formatted")
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"formatting Kafka storage in {data} failed:\n{(result.stdout + result.stderr)[-1500:]}")


def start(layout: Layout, settings: Settings) -> int:
    """Start the broker if it is not running; returns its pid."""
    proc = managed(layout)
    pid = process.running_pid(proc)
    if pid:
        return pid
    k = settings.kafka
    process.require_port_free("Kafka", k.host, k.port, "INKSTREAM_KAFKA__PORT")
    process.require_port_free("Kafka controller", k.host, k.controller_port, "INKSTREAM_KAFKA__CONTROLLER_PORT")
    server = _write_config(layout, settings)
    _format_once(layout, settings, server)
    argv = java_argv(layout, settings, "kafka.Kafka", str(server), log_config="log4j2.properties")
    heap = f"-Xmx{k.heap_mb}m"
    argv[1:2] = [f"-Xms{k.heap_mb}m", heap, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                 "-XX:+ExitOnOutOfMemoryError", f"-Dkafka.logs.dir={layout.logs}"]
    return process.start_detached(proc, argv)


def healthy(settings: Settings, timeout: float = 5.0) -> bool:
    """The broker answers a metadata request (not just an open port)."""
    from confluent_kafka.admin import AdminClient

    # log_level 0: a probe of a stopped broker must not print librdkafka connect errors.
    conf = client_config(settings, log_level=0)
    try:
        meta = AdminClient(conf).list_topics(timeout=timeout)
    except Exception:  # noqa: BLE001 - a health probe: any failure means not healthy
        return False
    return bool(meta.brokers)
