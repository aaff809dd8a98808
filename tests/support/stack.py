"""The deployment files (compose.yaml, Dockerfile, deploy/) read the way their tools read them,
so tests can run their parts natively: there is no container engine where the suite runs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "roomtime.json"

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")
_METRIC = re.compile(r"\broomtime_[a-z0-9_]+\b")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`."""

    def value(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        found = env.get(name)
        if operator in (":-", "-"):
            return found if found else argument
        if operator in (":?", "?") and not found:
            raise KeyError(f"{name}: {argument}")
        return found or ""

    return _VARIABLE.sub(value, text)


def compose(env: dict[str, str]) -> dict[str, Any]:
    """compose.yaml as Compose sees it: variables interpolated, anchors and `<<` merged."""
    loaded: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE.read_text(), env))
    return loaded


def image_env() -> dict[str, str]:
    """The `ENV` the Dockerfile's final image sets (what every container starts with)."""
    env: dict[str, str] = {}
    final_stage = DOCKERFILE.read_text().split("\nFROM ")[-1]
    for line in final_stage.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_queries() -> list[str]:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def metric_names(queries: list[str]) -> set[str]:
    """RoomTime's own series a query reads (Prometheus's own, like `up`, are not ours)."""
    return {name for query in queries for name in _METRIC.findall(query)}


def exposed_names(exposition: str) -> set[str]:
    """Every sample name in a Prometheus text exposition."""
    names = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
