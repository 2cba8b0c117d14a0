"""The S3 server: versitygw (posix backend, bucket versioning on) built from the Go
module proxy once into ``<data_dir>/cache/versitygw-<version>/bin``.

Why versitygw and not s3proxy (measured on this machine, see README "Stack figures"):
versitygw serves in 0.05 s with ~50 MB resident and implements bucket versioning on
its posix backend; s3proxy 2.6 (Maven Central) needs ~2.4 s and ~110 MB, and answers
PutBucketVersioning with NotImplemented, which our content-addressed, versioned bucket
layout cannot do without.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from inkstream.errors import StackError
from inkstream.fail_closed import provision_s3_credentials, s3_credentials
from inkstream.settings import Settings
from ops.stack import process
from ops.stack.layout import Layout

__all__ = ["VERSITYGW", "provision", "start", "healthy", "managed", "ensure_bucket", "client"]

VERSITYGW = "v1.8.0"


def _home(layout: Layout) -> Path:
    return layout.cache / f"versitygw-{VERSITYGW}"


def _binary(layout: Layout) -> Path:
    return _home(layout) / "bin" / "versitygw"


def managed(layout: Layout) -> process.Managed:
    return process.Managed("s3", layout.run / "s3.pid", layout.logs / "s3.log",
                           marker=str(layout.data / "s3" / "objects"))


def provision(layout: Layout) -> bool:
    """``go install`` versitygw once (module and build caches under the data dir)."""
    binary = _binary(layout)
    if binary.exists():
        return False
    go = process.require_tool("go")
    home = _home(layout)
    env = {
        **os.environ,
        "GOBIN": str(binary.parent),
        "GOMODCACHE": str(layout.cache / "go" / "mod"),
        "GOCACHE": str(layout.cache / "go" / "build"),
        # Module cache files are read-only by default, which would make `rm -rf <data_dir>` fail.
        "GOFLAGS": "-modcacherw",
        "CGO_ENABLED": "0",
    }
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([go, "install", f"github.com/versity/versitygw/cmd/versitygw@{VERSITYGW}"],
                            capture_output=True, text=True, env=env, cwd=home)
    if result.returncode != 0 or not binary.exists():
        raise StackError(
            f"building versitygw {VERSITYGW} with `go install` failed (needs the Go module proxy "
            f"and Go 1.25+; `go version` says: {_go_version(go)}):\n{(result.stdout + result.stderr)[-1500:]}"
        )
    # The build cache (hundreds of MB) is only needed to rebuild; the binary is what we keep.
    shutil.rmtree(layout.cache / "go" / "build", ignore_errors=True)
    return True


def _go_version(go: str) -> str:
    try:
        return subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"


def start(layout: Layout, settings: Settings) -> int:
    proc = managed(layout)
    pid = process.running_pid(proc)
    if pid:
        return pid
    s3 = settings.s3
    process.require_port_free("S3 server", s3.host, s3.port, "INKSTREAM_S3__PORT")
    objects, versions = layout.data / "s3" / "objects", layout.data / "s3" / "versions"
    # A new data directory gets random credentials (0600); one provisioned before keeps the
    # fixed pair its clients already use (inkstream/fail_closed.py).
    provision_s3_credentials(settings, fresh=not objects.exists())
    objects.mkdir(parents=True, exist_ok=True)
    versions.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = s3_credentials(settings)
    # Credentials go through the environment, not argv, so `ps` does not show the secret.
    env = {**os.environ, "ROOT_ACCESS_KEY_ID": access_key, "ROOT_SECRET_ACCESS_KEY": secret_key}
    argv = [str(_binary(layout)), "--port", f"{s3.host}:{s3.port}", "--region", s3.region, "--quiet",
            "posix", "--versioning-dir", str(versions), str(objects)]
    return process.start_detached(proc, argv, env=env)


def client(settings: Settings, *, probe: bool = False):
    """A minio client; ``probe=True`` fails fast (no retries) for health checks."""
    from urllib.parse import urlparse

    import urllib3
    from minio import Minio

    url = urlparse(settings.s3.url)
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=2, read=5), retries=False) if probe else None
    access_key, secret_key = s3_credentials(settings)
    return Minio(url.netloc, access_key=access_key, secret_key=secret_key,
                 secure=url.scheme == "https", region=settings.s3.region, http_client=http)


def ensure_bucket(settings: Settings) -> None:
    """The bucket exists with versioning enabled (idempotent)."""
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    c = client(settings)
    bucket = settings.s3.bucket
    if not c.bucket_exists(bucket):
        c.make_bucket(bucket)
    if c.get_bucket_versioning(bucket).status != ENABLED:
        c.set_bucket_versioning(bucket, VersioningConfig(ENABLED))


def healthy(settings: Settings) -> bool:
    """The server answers an authenticated request and the bucket is there."""
    try:
        return client(settings, probe=True).bucket_exists(settings.s3.bucket)
    except Exception:  # noqa: BLE001 - a health probe: any failure means not healthy
        return False
