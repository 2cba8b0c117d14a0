"""`inkstream status --json` (issue 14 item 7): every component with its address, for
scripts and tests, also when nothing runs (on a fresh data dir, never the dev stack's)."""

from __future__ import annotations

import json

from stack_helpers import cli, free_port


def test_status_json_names_every_component_and_its_address_even_when_down(tmp_path):
    ports = {k: free_port() for k in ("KAFKA__PORT", "S3__PORT", "PROMETHEUS__PORT", "ALERTMANAGER__PORT",
                                      "AUDIT__QUERY_PORT")}
    env = {"INKSTREAM_DATA_DIR": str(tmp_path / "data"), **{f"INKSTREAM_{k}": str(v) for k, v in ports.items()}}
    result = cli("status", "--json", env=env)
    assert result.returncode == 1, result.stdout + result.stderr   # nothing runs here
    body = json.loads(result.stdout)
    parts = {c["name"]: c for c in body["components"]}
    assert body["healthy"] is False and body["data_dir"].endswith("data")
    assert parts["kafka"]["address"] == f"127.0.0.1:{ports['KAFKA__PORT']}"
    assert parts["s3"]["address"] == f"http://127.0.0.1:{ports['S3__PORT']}"
    assert parts["prometheus"]["address"] == f"http://127.0.0.1:{ports['PROMETHEUS__PORT']}"
    assert parts["alertmanager"]["address"] == f"http://127.0.0.1:{ports['ALERTMANAGER__PORT']}"
    assert parts["clickhouse"]["address"].startswith("chdb://")
    assert parts["clickhouse-http"] == {
        "name": "clickhouse-http", "address": f"http://127.0.0.1:{ports['AUDIT__QUERY_PORT']}", "pid": None,
        "healthy": False, "rss_mb": None, "required": False,
        "detail": "no audit sink running (`inkstream run audit`)"}
    assert all(c["required"] for n, c in parts.items() if n != "clickhouse-http")
    assert not any(c["healthy"] for n, c in parts.items() if n not in ("clickhouse",))
