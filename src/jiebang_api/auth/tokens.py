"""Access tokens: JWT with an explicit algorithm allow-list (python-jose)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from jose import JWTError, jwt

from jiebang_api.kit.errors import Message, Unauthenticated
from jiebang_api.settings import Settings

TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret


class SubjectKind(StrEnum):
    USER = "user"
    SERVICE = "service"


@dataclass(frozen=True)
class Claims:
    subject: uuid.UUID
    kind: SubjectKind


class TokenCodec:
    """Signs and checks access tokens with the one configured algorithm."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.jwt_algorithm
        if self.algorithm == "RS256":
            if settings.jwt_private_key is None or settings.jwt_public_key is None:
                raise ValueError("RS256 needs a private and a public key")
            self._signing_key = settings.jwt_private_key.get_secret_value()
            self._verifying_key = settings.jwt_public_key
        else:
            self._signing_key = self._verifying_key = settings.jwt_secret.get_secret_value()
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.ttl = timedelta(seconds=settings.access_token_ttl_seconds)
        self.leeway = settings.jwt_leeway_seconds

    def issue(self, subject: uuid.UUID, kind: SubjectKind, now: datetime) -> tuple[str, int]:
        """A signed token for `subject` and its lifetime in seconds."""
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(subject),
            "typ": TOKEN_TYPE,
            "knd": kind.value,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._signing_key, algorithm=self.algorithm)
        return token, int(self.ttl.total_seconds())

    def read(self, token: str) -> Claims:
        """The verified claims, or `Unauthenticated` for anything forged, expired, foreign or
        issued in the future."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != self.algorithm:
                raise JWTError("algorithm not allowed")
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "leeway": self.leeway,
                    "require_exp": True,
                    "require_iat": True,
                    "require_iss": True,
                    "require_aud": True,
                    "require_sub": True,
                },
            )
            if claims.get("typ") != TOKEN_TYPE:
                raise JWTError("not an access token")
            # python-jose checks only that `iat` is a number: a token "issued" later than now
            # (beyond the clock skew allowed) was not issued by this service's clock.
            if int(claims["iat"]) > datetime.now(UTC).timestamp() + self.leeway:
                raise JWTError("issued in the future")
            return Claims(uuid.UUID(claims["sub"]), SubjectKind(claims["knd"]))
        except (JWTError, KeyError, ValueError, TypeError) as error:
            raise Unauthenticated(
                Message("访问令牌无效或已过期。", "The access token is invalid or expired.")
            ) from error
