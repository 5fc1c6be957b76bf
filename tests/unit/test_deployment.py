"""The deployment description: compose.yaml is a valid Compose file, and it, docs/deployment.md
and the proxy's configuration describe the same processes and settings."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

from jiebang_api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
TOPOLOGY = {"postgres": 1, "redis": 1, "api": 2, "worker": 2, "proxy": 1}
SETTING_NAME = re.compile(r"\bJIEBANG_[A-Z0-9_]+\b")


@cache
def _compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


def compose() -> dict[str, Any]:
    """A fresh copy of compose.yaml, anchors and merge keys resolved."""
    document: dict[str, Any] = yaml.safe_load(_compose_text())
    return document


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def role(service: dict[str, Any]) -> str:
    """What a service runs, told by its image and command, not by its name."""
    command = service.get("command", [])
    if "build" in service and command[:2] == ["jiebang-api", "serve"]:
        return "api"
    if "build" in service and command[:2] == ["jiebang-api", "worker"]:
        return "worker"
    image = service.get("image", "")
    for name, prefix in (("postgres", "postgres:"), ("redis", "redis:"), ("proxy", "nginx:")):
        if image.startswith(prefix):
            return name
    return "unknown"


def named(wanted: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if role(s) == wanted}


def application_services() -> dict[str, dict[str, Any]]:
    return named("api") | named("worker")


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a mapping"
    return {key: str(value) for key, value in env.items()}


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def seconds(duration: str) -> float:
    """A Compose duration such as `45s` or `1m30s`."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert duration, "an empty duration"
    assert parts, f"not a duration: {duration!r}"
    hours, minutes, secs = (int(part or 0) for part in parts.groups())
    return hours * 3600 + minutes * 60 + secs


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Where `document` breaks the Compose specification (vendored by check-jsonschema)."""
    schema = get_builtin_schema("vendor.compose-spec")
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


@cache
def nginx_upstreams() -> dict[str, list[str]]:
    """Each `upstream` block of the proxy's configuration and its `server` addresses."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    return {
        name: re.findall(r"^\s*server\s+([^\s;]+)", body, flags=re.MULTILINE)
        for name, body in re.findall(r"upstream\s+(\S+)\s*\{(.*?)\}", text, flags=re.DOTALL)
    }


def test_compose_file_follows_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


def test_the_specification_check_refuses_a_broken_file() -> None:
    broken = compose()
    broken["services"]["api-1"]["restart"] = ["always"]
    broken["services"]["proxy"]["port"] = "8080:80"
    errors = schema_errors(broken)
    assert any(error.startswith("services/api-1/restart") for error in errors)
    assert any("'port' was unexpected" in error for error in errors)


def test_compose_runs_postgres_redis_two_apis_two_workers_and_a_proxy() -> None:
    assert Counter(role(service) for service in services().values()) == TOPOLOGY


def test_every_service_is_named_in_the_deployment_doc() -> None:
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    missing = [name for name in services() if f"`{name}`" not in doc]
    assert missing == []


def test_every_variable_in_compose_is_a_setting_named_in_the_doc() -> None:
    settings = {f"JIEBANG_{field.upper()}" for field in Settings.model_fields}
    used = set(SETTING_NAME.findall(_compose_text()))
    documented = set(SETTING_NAME.findall(DEPLOYMENT_DOC.read_text(encoding="utf-8")))
    assert used, "compose.yaml configures the service"
    assert used - settings == set()
    assert used - documented == set()


def test_the_proxy_balances_over_both_api_services() -> None:
    (port,) = {option(s["command"], "--port") for s in named("api").values()}
    upstreams = nginx_upstreams()
    assert len(upstreams) == 1
    ((name, servers),) = upstreams.items()
    assert sorted(servers) == sorted(f"{api}:{port}" for api in named("api"))
    assert f"proxy_pass http://{name};" in NGINX_CONF.read_text(encoding="utf-8")


def test_the_api_services_believe_the_proxy_and_only_it() -> None:
    (proxy,) = named("proxy").values()
    addresses = [net["ipv4_address"] for net in proxy["networks"].values()]
    for api in named("api").values():
        trusted = environment(api)["JIEBANG_TRUSTED_PROXIES"].split(",")
        assert sorted(trusted) == sorted(addresses)


def test_every_process_shares_the_database_secret_and_file_volume() -> None:
    shared = ("JIEBANG_DATABASE_URL", "JIEBANG_JWT_SECRET", "JIEBANG_STORAGE_DIR")
    values = {tuple(environment(s)[key] for key in shared) for s in application_services().values()}
    assert len(values) == 1
    storage_dir = environment(services()["api-1"])["JIEBANG_STORAGE_DIR"]
    for service in application_services().values():
        mounts = [v.split(":") for v in service["volumes"]]
        assert [volume for volume, path, *_ in mounts if path == storage_dir] == ["files"]
    assert "files" in compose()["volumes"]


def test_the_rate_limits_are_counted_in_redis() -> None:
    for api in named("api").values():
        assert environment(api)["JIEBANG_RATE_LIMIT_STORAGE_URL"].startswith("async+redis://redis:")


def test_the_stop_grace_period_outlasts_the_shutdown_grace() -> None:
    for service in application_services().values():
        grace = float(environment(service)["JIEBANG_SHUTDOWN_GRACE_SECONDS"])
        assert seconds(service["stop_grace_period"]) > grace


def test_the_proxy_accepts_an_upload_of_the_largest_size() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    match = re.search(r"client_max_body_size\s+(\d+)m;", text)
    assert match
    largest = Settings.model_fields["max_upload_bytes"].default + 1024 * 1024
    assert int(match.group(1)) * 1024 * 1024 == largest


def test_api_services_are_healthy_only_when_ready_and_start_after_their_stores() -> None:
    for api in named("api").values():
        assert "/readyz" in " ".join(api["healthcheck"]["test"])
        conditions = {dep: cond["condition"] for dep, cond in api["depends_on"].items()}
        assert conditions == {"postgres": "service_healthy", "redis": "service_healthy"}
    for worker in named("worker").values():
        assert worker["healthcheck"] == {"disable": True}  # it serves no HTTP
        assert set(worker["depends_on"]) <= set(named("api"))
