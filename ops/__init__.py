"""Local stack provisioning, ClickHouse DDL, Prometheus rules and Grafana dashboards."""
