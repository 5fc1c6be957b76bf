"""Service settings from `JIEBANG_*` variables, and the production safety checks."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from jiebang_api.settings import DEFAULT_JWT_SECRET, Environment, Settings

STRONG_SECRET = "a-production-secret-of-sufficient-length-42"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No `JIEBANG_*` variable of the runner's shell may leak into these tests."""
    for name in list(os.environ):
        if name.upper().startswith("JIEBANG_"):
            monkeypatch.delenv(name)


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(f"JIEBANG_{name.upper()}", value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_dev_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch)
    assert settings.env is Environment.DEV
    assert settings.debug is False
    assert settings.jwt_secret.get_secret_value() == DEFAULT_JWT_SECRET
    assert settings.cors_origins == []
    assert settings.sandbox_enabled is True
    assert settings.is_sqlite is True
    assert DEFAULT_JWT_SECRET not in repr(settings)  # SecretStr hides it


@pytest.mark.parametrize(
    ("env", "sandbox"),
    [("dev", True), ("test", True), ("prod", False)],
)
def test_sandbox_only_outside_prod(
    monkeypatch: pytest.MonkeyPatch, env: str, sandbox: bool
) -> None:
    settings = load(monkeypatch, env=env, jwt_secret=STRONG_SECRET)
    assert settings.env == env
    assert settings.sandbox_enabled is sandbox


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"env": "prod"}, "default JIEBANG_JWT_SECRET"),
        ({"env": "prod", "jwt_secret": DEFAULT_JWT_SECRET}, "default JIEBANG_JWT_SECRET"),
        ({"env": "prod", "debug": "true"}, "default JIEBANG_JWT_SECRET"),
        ({"env": "prod", "jwt_secret": STRONG_SECRET, "debug": "true"}, "JIEBANG_DEBUG=true"),
        ({"env": "prod", "jwt_secret": STRONG_SECRET, "debug": "1"}, "JIEBANG_DEBUG=true"),
    ],
)
def test_prod_refuses_unsafe_configuration(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        load(monkeypatch, **env)


@pytest.mark.parametrize(
    "env",
    [
        {"env": "dev", "debug": "true"},
        {"env": "test", "debug": "true"},
        {"env": "test"},
        {"env": "prod", "jwt_secret": STRONG_SECRET},
        {"env": "prod", "jwt_secret": STRONG_SECRET, "debug": "false"},
    ],
)
def test_safe_configurations_load(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    settings = load(monkeypatch, **env)
    assert settings.env == env["env"]
    assert settings.debug is (env.get("debug") == "true")


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"plan_base_url": "ftp://plan.example/api"}, "must be an http"),
        ({"plan_base_url": "plan.example"}, "must be an http"),
        (
            {"env": "prod", "jwt_secret": STRONG_SECRET, "plan_base_url": "http://plan.example"},
            "https JIEBANG_PLAN_BASE_URL",
        ),
        ({"plan_read_timeout_seconds": "60"}, "JIEBANG_WEBHOOK_LEASE_SECONDS"),
        ({"webhook_lease_seconds": "15"}, "JIEBANG_WEBHOOK_LEASE_SECONDS"),
    ],
)
def test_the_plan_system_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        load(monkeypatch, **env)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"env": "test", "plan_base_url": "http://127.0.0.1:8081/plan"},
        {"env": "prod", "jwt_secret": STRONG_SECRET, "plan_base_url": "https://plan.example/api"},
        {"plan_read_timeout_seconds": "60", "webhook_lease_seconds": "120"},
    ],
)
def test_plan_system_settings_that_load(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    settings = load(monkeypatch, **env)
    assert settings.plan_base_url == env.get("plan_base_url", "")
    assert settings.plan_token is None


def test_prod_via_constructor_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="default JIEBANG_JWT_SECRET"):
        Settings(_env_file=None, env=Environment.PROD)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a,b", ["a", "b"]),
        ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
        (" https://only.example ", ["https://only.example"]),
        ("a,,b,", ["a", "b"]),
        ("", []),
        (" , ", []),
    ],
)
def test_cors_origins_parse_comma_separated(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    assert load(monkeypatch, cors_origins=raw).cors_origins == expected


def test_cors_origins_list_passes_through() -> None:
    settings = Settings(_env_file=None, cors_origins=["x", "y"])  # type: ignore[call-arg]
    assert settings.cors_origins == ["x", "y"]


@pytest.mark.parametrize(
    ("env", "attribute", "expected"),
    [
        ({"database_url": "postgresql+asyncpg://u@h/db"}, "is_sqlite", False),
        ({"database_url": "sqlite+aiosqlite:///:memory:"}, "is_sqlite", True),
        ({"database_pool_size": "25"}, "database_pool_size", 25),
        ({"log_json": "false"}, "log_json", False),
        ({"log_level": "DEBUG"}, "log_level", "DEBUG"),
    ],
)
def test_other_variables_are_read(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], attribute: str, expected: object
) -> None:
    assert getattr(load(monkeypatch, **env), attribute) == expected


@pytest.mark.parametrize(
    "env",
    [
        {"env": "staging"},
        {"env": "PROD"},
        {"database_pool_size": "0"},
        {"database_pool_size": "201"},
        {"debug": "perhaps"},
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        load(monkeypatch, **env)


@pytest.mark.parametrize(("length", "accepted"), [(31, False), (32, True)])
def test_prod_needs_a_long_secret(
    monkeypatch: pytest.MonkeyPatch, length: int, accepted: bool
) -> None:
    if accepted:
        assert load(monkeypatch, env="prod", jwt_secret="k" * length).env is Environment.PROD
    else:
        with pytest.raises(ValidationError, match="at least 32 characters"):
            load(monkeypatch, env="prod", jwt_secret="k" * length)


def test_trusted_proxies_are_addresses_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, trusted_proxies="10.0.0.1, 172.16.0.0/12,::1")
    assert settings.trusted_proxies == ["10.0.0.1", "172.16.0.0/12", "::1"]
    with pytest.raises(ValidationError, match=r"proxy\.example"):
        load(monkeypatch, trusted_proxies="10.0.0.1,proxy.example")
