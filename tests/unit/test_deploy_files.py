"""The deployment files are valid for the tools that read them: compose.yaml against the
Compose specification's schema, the Prometheus configuration and alert rules with promtool
(Debian's prometheus package; .ci/run installs it), and the Grafana provisioning."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.stack import (
    COMPOSE,
    DASHBOARD,
    GRAFANA,
    PROMETHEUS,
    alert_queries,
    compose,
    dashboard_queries,
)

pytestmark = pytest.mark.unit

SECRETS = {
    "JWT_SECRET": "j" * 40,
    "SEED_ADMIN_PASSWORD": "compose-admin-password",
    "S3_SECRET_ACCESS_KEY": "minio-secret",
    "METRICS_TOKEN": "scrape-token",
    "GRAFANA_ADMIN_PASSWORD": "grafana-password",
}


def _promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install prometheus (.ci/run does)"
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_compose_file_matches_the_compose_specification() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_the_whole_stack_and_refuses_to_start_without_its_secrets() -> None:
    services = compose(SECRETS)["services"]
    assert {"api", "worker", "migrate", "postgres", "redis", "minio", "minio-bucket"} <= set(
        services
    )
    assert {"mailpit", "prometheus", "grafana"} <= set(services)
    assert services["api"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert services["worker"]["environment"]["WORKER_METRICS_PORT"] == "9101"
    for service in ("api", "worker", "migrate"):
        assert services[service]["environment"]["STORAGE"] == "s3"
    for missing in SECRETS:
        with pytest.raises(KeyError, match=missing):
            compose({k: v for k, v in SECRETS.items() if k != missing})


def test_prometheus_configuration_and_rules_pass_promtool(tmp_path: Path) -> None:
    config = PROMETHEUS / "prometheus.yml"
    syntax = _promtool("check", "config", "--syntax-only", str(config))
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr
    # The full check also opens the files the configuration names: give it the token file
    # compose mounts as a secret.
    token = tmp_path / "metrics_token"
    token.write_text("scrape-token")
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path / "alerts.yml")
    text = config.read_text()
    assert "/run/secrets/metrics_token" in text
    (tmp_path / "prometheus.yml").write_text(text.replace("/run/secrets/metrics_token", str(token)))
    full = _promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert full.returncode == 0, full.stdout + full.stderr
    assert "SUCCESS: 8 rules found" in full.stdout + full.stderr


def test_every_alert_fires_on_its_unit_test_series() -> None:
    result = _promtool("test", "rules", "alerts_test.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    fired = {
        case["alertname"]
        for test in tested["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    required = {
        "RoomTimeHighErrorRate",
        "RoomTimeHighLatencyP99",
        "RoomTimeOutboxBacklog",
        "RoomTimeJobLate",
        "RoomTimeRedisDown",
    }
    assert required <= {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert required <= fired


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool parses rule expressions; the dashboard's go through it as recording rules.
    queries = dashboard_queries() + alert_queries()
    rules = {
        "groups": [
            {
                "name": "queries",
                "rules": [{"record": f"roomtime:q{i}", "expr": q} for i, q in enumerate(queries)],
            }
        ]
    }
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = _promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_provisions_the_prometheus_source_and_the_dashboard() -> None:
    sources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    [source] = sources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/roomtime.yml").read_text())
    [provider] = providers["providers"]
    grafana = compose(SECRETS)["services"]["grafana"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in grafana["volumes"]
    dashboard = json.loads(DASHBOARD.read_text())
    titles = " | ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for topic in ("request rate", "error rate", "latency", "holds", "job runs", "job failures"):
        assert topic in titles
    for topic in ("outbox backlog", "oldest undelivered", "cache hit ratio"):
        assert topic in titles
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]
