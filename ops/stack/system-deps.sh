#!/usr/bin/env bash
# Debian packages the stack and the tests need, installed only when missing:
# Prometheus (the local metrics server) and Alertmanager (with amtool), Chromium + chromedriver (browser tests, PDF
# rendering), and Java 17 / Maven (Kafka) where a machine lacks them.
# Go (to build the S3 server) must be 1.22+, newer than Debian 12's golang-go: we use
# the toolchain on PATH or in /usr/local/go and say so if there is none.
set -euo pipefail

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
# the JDK's compiler: tests run ClickHouse's JDBC driver from a single-file Java program
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
command -v ss >/dev/null || need+=(iproute2)

if ((${#need[@]})); then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "missing system packages: ${need[*]} (install them with apt-get as root)" >&2
        exit 1
    fi
    echo "installing: ${need[*]}"
    # The prometheus packages would start their own services on :9090/:9093 where init
    # scripts run; `inkstream up` runs them itself, so forbid service starts during the install.
    guard=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
        guard=/usr/sbin/policy-rc.d
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    [[ -n $guard ]] && rm -f "$guard"
fi

if ! command -v go >/dev/null && [[ ! -x /usr/local/go/bin/go ]]; then
    echo "warning: no Go toolchain; the first \`inkstream up\` needs Go 1.22+ to build the S3 server" >&2
fi
