"""Service configuration, read from `JIEBANG_*` environment variables and `.env`."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-only-change-me-0123456789abcdef"  # noqa: S105 - refused in prod
MIN_PROD_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Settings(BaseSettings):
    """Every knob of the service; see the configuration table in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="JIEBANG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.DEV
    debug: bool = False
    # FastAPI's native OpenTelemetry, for the providers the process configures; off, every
    # request skips looking for one (the service's own /metrics and JSON logs stay).
    opentelemetry: bool = False
    database_url: str = "sqlite+aiosqlite:///./jiebang.db"
    # A read replica of the same database for anonymous public reads only (the catalogue);
    # empty: they read the primary. A replica lags: see docs/deployment.md.
    database_read_url: str = ""
    database_echo: bool = False
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_null_pool: bool = False
    # Test every pooled connection with a round trip before use (off: a dropped connection
    # fails one request with 503 and renews the pool; see kit.db.make_engine).
    database_pool_pre_ping: bool = False
    jwt_secret: SecretStr = SecretStr(DEFAULT_JWT_SECRET)
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_private_key: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_issuer: str = "jiebang-api"
    jwt_audience: str = "jiebang-api"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    access_token_ttl_seconds: int = Field(default=1800, ge=60, le=86_400)
    rate_limit_storage_url: str = "async+memory://"
    # Failed sign-ins per (username or client id, address) that are free within the window;
    # after each further one the pair's next attempt waits 1, 2, 4 … s (at most 60).
    login_failure_limit: str = "5/15minutes"
    # Failed sign-ins per client address, for any names (password spraying).
    login_address_limit: str = "100/15minutes"
    registration_limit: str = "20/hour"
    # How long an Idempotency-Key's response is kept for its retries (per caller).
    idempotency_ttl_seconds: int = Field(86_400, ge=60, le=7 * 86_400)
    # Objections to public notices per client address (anyone may file, signed in or not).
    objection_limit: str = "10/hour"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    log_json: bool = True
    migrations_dir: Path | None = None
    storage_dir: Path = Path("./data/files")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    # Any request body but an upload (JSON, forms): far smaller than a file.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # On SIGTERM: how long `serve` lets requests in flight finish, and how long the worker
    # may take to end its pass, before they are cut.
    shutdown_grace_seconds: int = Field(default=30, ge=1, le=600)
    # Addresses (or CIDR networks) of the reverse proxies whose `X-Forwarded-For` is believed.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # `/docs`, `/redoc` and `/openapi.json` for anyone; false closes them (404).
    docs_public: bool = True
    # How long shared caches and browsers may reuse a public (anonymous) read, in seconds;
    # 0 makes them revalidate every time (ETag / If-None-Match still answer 304).
    public_max_age_seconds: int = Field(default=60, ge=0, le=86_400)
    # When set, `/metrics` answers only `Authorization: Bearer <this token>`.
    metrics_token: SecretStr | None = None
    # A stored file with no attachment row is removed by the worker after this long.
    orphan_file_grace_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)
    # Addresses (or CIDR networks) a webhook URL may resolve to although the address guard
    # refuses their kind (loopback, private, link-local …): e.g. `127.0.0.1` in tests.
    webhook_allowed_addresses: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # How long resolving a webhook URL's host may take before the URL is refused.
    webhook_resolve_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    # false: a webhook URL's host must be an IP address; no name is looked up (networks
    # without DNS, and fuzzing runs that must not send made-up names to a resolver).
    webhook_resolve_names: bool = True
    # Events the worker turns into webhook deliveries per tick (the fan-out's batch).
    webhook_fanout_batch: int = Field(default=500, ge=1, le=10_000)
    # Deliveries one worker claims and sends (all at once) per tick.
    webhook_delivery_batch: int = Field(default=20, ge=1, le=500)
    # How long a claimed delivery stays the claiming worker's; past it (the worker died)
    # another worker sends it again. Longer than the 10 s send timeout.
    webhook_lease_seconds: int = Field(default=60, ge=15, le=3600)
    # The plan management system's base URL (`PUT {base}/projects/{code}` per project change,
    # docs/plan-system.md); empty switches the sync off. Its host passes the address guard
    # with JIEBANG_WEBHOOK_ALLOWED_ADDRESSES.
    plan_base_url: str = ""
    # The bearer token the plan system gave this service.
    plan_token: SecretStr | None = None
    plan_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    plan_read_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Projects one worker claims and pushes (all at once) per tick.
    plan_sync_batch: int = Field(default=20, ge=1, le=500)

    @model_validator(mode="before")
    @classmethod
    def _split_origins(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in ("cors_origins", "trusted_proxies", "webhook_allowed_addresses"):
                raw = data.get(name)
                if isinstance(raw, str):
                    data[name] = [item.strip() for item in raw.split(",") if item.strip()]
        return data

    @field_validator("trusted_proxies", "webhook_allowed_addresses")
    @classmethod
    def _entries_are_networks(cls, entries: list[str], info: ValidationInfo) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                name = f"JIEBANG_{(info.field_name or '').upper()}"
                raise ValueError(f"{name}: {entry!r} is no IP address or network") from None
        return entries

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.jwt_algorithm == "RS256" and not (self.jwt_private_key and self.jwt_public_key):
            raise ValueError(
                "JIEBANG_JWT_ALGORITHM=RS256 needs JIEBANG_JWT_PRIVATE_KEY and _PUBLIC_KEY"
            )
        if self.env is Environment.PROD and self.jwt_algorithm == "HS256":
            secret = self.jwt_secret.get_secret_value()
            if secret == DEFAULT_JWT_SECRET:
                raise ValueError(
                    "JIEBANG_ENV=prod refuses to start with the default JIEBANG_JWT_SECRET; "
                    f"set a secret of at least {MIN_PROD_SECRET_LENGTH} random characters"
                )
            if len(secret) < MIN_PROD_SECRET_LENGTH:
                raise ValueError(
                    f"JIEBANG_ENV=prod needs a JIEBANG_JWT_SECRET of at least "
                    f"{MIN_PROD_SECRET_LENGTH} characters"
                )
        if self.env is Environment.PROD and self.debug:
            raise ValueError("JIEBANG_ENV=prod refuses to start with JIEBANG_DEBUG=true")
        self._check_plan_system()
        return self

    def _check_plan_system(self) -> None:
        """The plan system's URL is http(s) (https in prod), and a push ends (by its
        timeouts) before its lease does, so no second worker pushes while it still runs."""
        url = self.plan_base_url
        if url and not url.startswith(("https://", "http://")):
            raise ValueError("JIEBANG_PLAN_BASE_URL must be an http(s) URL (or empty: no sync)")
        if url and self.env is Environment.PROD and not url.startswith("https://"):
            raise ValueError("JIEBANG_ENV=prod needs an https JIEBANG_PLAN_BASE_URL")
        if self.plan_connect_timeout_seconds + self.plan_read_timeout_seconds >= (
            self.webhook_lease_seconds
        ):
            raise ValueError(
                "JIEBANG_PLAN_CONNECT_TIMEOUT_SECONDS + JIEBANG_PLAN_READ_TIMEOUT_SECONDS must "
                "stay below JIEBANG_WEBHOOK_LEASE_SECONDS (a push must end before its lease)"
            )

    @property
    def sandbox_enabled(self) -> bool:
        """The movable test clock exists in dev and test, never in prod."""
        return self.env is not Environment.PROD

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_migrations_dir(self) -> Path:
        """The alembic scripts: configured, next to the source tree, or under the cwd."""
        if self.migrations_dir is not None:
            return self.migrations_dir
        beside_source = Path(__file__).resolve().parents[2] / "migrations"
        if beside_source.is_dir():
            return beside_source
        return Path.cwd() / "migrations"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
