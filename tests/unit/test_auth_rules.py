"""The pure rules of identity: password policy, the permission table, tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jose import jwt

from jiebang_api.auth import password_policy, policy
from jiebang_api.auth.policy import Permission
from jiebang_api.auth.principal import ANONYMOUS, MembershipRole, Principal
from jiebang_api.auth.roles import Role
from jiebang_api.auth.tokens import Claims, SubjectKind, TokenCodec
from jiebang_api.kit.actor import Actor, ActorType
from jiebang_api.kit.errors import NotFound, PermissionDenied, Unauthenticated
from jiebang_api.settings import Settings

# ---------------------------------------------------------------------------------------------
# password policy

TOO_SHORT = "At least 10 characters."
TOO_LONG = "At most 128 characters."
SAME = "The password may not equal the username."


@pytest.mark.parametrize(
    ("username", "password", "expected"),
    [
        ("zhang.wei", "correct-horse-battery", []),
        ("zhang.wei", "x" * 10, []),
        ("zhang.wei", "x" * 128, []),
        ("zhang.wei", "密码密码密码密码密码", []),  # ten characters, whatever their bytes
        ("zhang.wei", "", [TOO_SHORT]),
        ("zhang.wei", "x" * 9, [TOO_SHORT]),
        ("zhang.wei", "密码密码密码密码密", [TOO_SHORT]),
        ("zhang.wei", "x" * 129, [TOO_LONG]),
        ("zhang.wei", "x" * 1000, [TOO_LONG]),
        ("zhang.wei.1", "zhang.wei.1", [SAME]),
        ("zhang.wei.1", "ZHANG.WEI.1", [SAME]),
        ("Zhang.Wei.1", "zhang.wei.1", [SAME]),
        ("zhang.wei.1", "  zhang.wei.1\t", [SAME]),
        ("strasse-1234", "STRAẞE-1234", [SAME]),  # casefold, not just lower
        ("zhang.wei", "zhang.wei", [TOO_SHORT, SAME]),
        ("zhang.wei.1", "zhang.wei.12", []),
        ("zhang.wei.1", "1.iew.gnahz", []),
    ],
)
def test_password_violations(username: str, password: str, expected: list[str]) -> None:
    found = password_policy.violations(username, password)
    assert [v.message.en for v in found] == expected
    assert all(v.field == "body.password" for v in found)
    assert all(v.message.zh for v in found)


def test_password_limits_are_the_documented_ones() -> None:
    assert password_policy.MIN_LENGTH == 10
    assert password_policy.MAX_LENGTH == 128


# ---------------------------------------------------------------------------------------------
# the permission table

ORG = uuid.UUID("00000000-0000-4000-8000-00000000000a")
OTHER_ORG = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def person(*roles: Role) -> Principal:
    return Principal(Actor(ActorType.USER, str(uuid.uuid4())), roles=frozenset(roles))


def member_of(org: uuid.UUID, role: MembershipRole) -> Principal:
    return Principal(
        Actor(ActorType.USER, str(uuid.uuid4())),
        roles=frozenset({Role.ORG_MEMBER}),
        memberships={org: role},
    )


PRINCIPALS: dict[str, Principal] = {
    "anonymous": ANONYMOUS,
    "system": Principal(Actor.system()),
    "user": person(),
    "manager": member_of(ORG, MembershipRole.MANAGER),
    "member": member_of(ORG, MembershipRole.MEMBER),
    "other_manager": member_of(OTHER_ORG, MembershipRole.MANAGER),
    "other_member": member_of(OTHER_ORG, MembershipRole.MEMBER),
    "expert": person(Role.EXPERT),
    "agency": person(Role.AGENCY),
    "integration": Principal(
        Actor(ActorType.SERVICE, str(uuid.uuid4())), roles=frozenset({Role.INTEGRATION})
    ),
    "admin": person(Role.ADMIN),
}

SIGNED_IN = set(PRINCIPALS) - {"anonymous", "system"}
PEOPLE = SIGNED_IN - {"integration"}

# Who may do what to ORG (the organisation `manager` and `member` belong to).
ALLOWED: dict[Permission, set[str]] = {
    Permission.USE_API: SIGNED_IN,
    Permission.READ_ME: SIGNED_IN,
    Permission.CREATE_USER: {"admin"},
    Permission.CREATE_SERVICE_CLIENT: {"admin"},
    Permission.CREATE_ORGANIZATION: PEOPLE,
    Permission.READ_ORGANIZATION: SIGNED_IN,
    Permission.UPDATE_ORGANIZATION: {"admin", "manager"},
    Permission.VERIFY_ORGANIZATION: {"admin"},
    Permission.READ_MEMBERS: {"admin", "manager", "member"},
    Permission.MANAGE_MEMBERS: {"admin", "manager"},
    Permission.READ_ORGANIZATION_HISTORY: {"admin", "manager", "member"},
    Permission.READ_PARENT_CLAIMS: {"admin", "manager", "member"},
    Permission.ANSWER_PARENT_CLAIM: {"admin", "manager"},
    Permission.ANSWER_INVITATION: PEOPLE,
    Permission.READ_CREDIT_RECORDS: {"admin"},
    Permission.CREATE_CREDIT_RECORD: {"admin"},
    Permission.MOVE_SANDBOX_CLOCK: {"admin"},
    Permission.CREATE_EMERGENCY_LISTING: {"admin"},
    Permission.ACT_FOR_PROPOSER: {"manager", "member"},
    Permission.READ_LISTING: {"admin", "manager", "member"},
    Permission.REVIEW_LISTING: {"admin"},
    Permission.MANAGE_POLICY: {"admin"},
    Permission.MANAGE_REVIEWS: {"admin"},
    Permission.MANAGE_AGREEMENTS: {"admin"},
    Permission.MANAGE_FUNDING: {"admin"},
    Permission.MANAGE_PROJECTS: {"admin"},
    Permission.MANAGE_WEBHOOKS: {"admin", "integration"},
    Permission.IMPORT_RECORDS: {"integration"},
    Permission.READ_EVENTS: {"admin", "integration"},
    Permission.UPLOAD_ATTACHMENT: PEOPLE,
    Permission.ACT_FOR_APPLICANT: {"manager", "member"},
}

# Permissions about one organisation: without naming it, only an admin passes.
ORGANISATION_SCOPED = {
    Permission.UPDATE_ORGANIZATION,
    Permission.READ_MEMBERS,
    Permission.MANAGE_MEMBERS,
    Permission.READ_ORGANIZATION_HISTORY,
    Permission.READ_PARENT_CLAIMS,
    Permission.ANSWER_PARENT_CLAIM,
    Permission.READ_LISTING,
}


def test_every_permission_is_in_the_table() -> None:
    assert set(ALLOWED) == set(Permission)
    assert set(policy.RULES) == set(Permission)


CASES = [
    (permission, name, name in ALLOWED[permission])
    for permission in Permission
    for name in PRINCIPALS
]


@pytest.mark.parametrize(
    ("permission", "name", "allowed"),
    CASES,
    ids=[f"{p.value}-{n}-{'yes' if a else 'no'}" for p, n, a in CASES],
)
def test_can(permission: Permission, name: str, allowed: bool) -> None:
    assert policy.can(PRINCIPALS[name], permission, ORG) is allowed


@pytest.mark.parametrize("permission", sorted(ORGANISATION_SCOPED))
@pytest.mark.parametrize("name", sorted(PRINCIPALS))
def test_organisation_permissions_without_an_organisation(
    permission: Permission, name: str
) -> None:
    assert policy.can(PRINCIPALS[name], permission, None) is (name == "admin")
    assert policy.can(PRINCIPALS[name], permission) is (name == "admin")


@pytest.mark.parametrize("permission", sorted(ORGANISATION_SCOPED))
def test_membership_elsewhere_gives_nothing_here(permission: Permission) -> None:
    for name in ("other_manager", "other_member"):
        assert policy.can(PRINCIPALS[name], permission, ORG) is False
    # ... while the same principals do pass on their own organisation
    assert policy.can(PRINCIPALS["other_manager"], permission, OTHER_ORG) is True


def test_can_see_organization() -> None:
    for name, principal in PRINCIPALS.items():
        assert policy.can_see_organization(principal) is (name in SIGNED_IN)


# ---------------------------------------------------------------------------------------------
# require: which refusal


@pytest.mark.parametrize("visible", [True, False])
@pytest.mark.parametrize("name", ["anonymous", "system"])
def test_require_refuses_the_unauthenticated(name: str, visible: bool) -> None:
    with pytest.raises(Unauthenticated):
        policy.require(PRINCIPALS[name], Permission.CREATE_USER, ORG, visible=visible)


@pytest.mark.parametrize("name", ["user", "member", "expert", "agency", "integration"])
def test_require_denies_a_visible_object(name: str) -> None:
    with pytest.raises(PermissionDenied):
        policy.require(PRINCIPALS[name], Permission.MANAGE_MEMBERS, ORG)
    with pytest.raises(PermissionDenied):
        policy.require(PRINCIPALS[name], Permission.MANAGE_MEMBERS, ORG, visible=True)


@pytest.mark.parametrize("name", ["user", "member", "other_manager", "integration"])
def test_require_hides_an_invisible_object(name: str) -> None:
    with pytest.raises(NotFound):
        policy.require(PRINCIPALS[name], Permission.MANAGE_MEMBERS, ORG, visible=False)


@pytest.mark.parametrize("visible", [True, False])
def test_require_lets_the_allowed_through(visible: bool) -> None:
    for permission in Permission:
        for name in ALLOWED[permission]:
            assert policy.require(PRINCIPALS[name], permission, ORG, visible=visible) is None


# ---------------------------------------------------------------------------------------------
# the principal


@pytest.mark.parametrize(
    ("actor_type", "authenticated", "is_user"),
    [
        (ActorType.USER, True, True),
        (ActorType.SERVICE, True, False),
        (ActorType.SYSTEM, False, False),
        (ActorType.ANONYMOUS, False, False),
    ],
)
def test_principal_kinds(actor_type: ActorType, authenticated: bool, is_user: bool) -> None:
    subject = uuid.uuid4()
    principal = Principal(Actor(actor_type, str(subject)))
    assert principal.authenticated is authenticated
    assert principal.is_user is is_user
    assert principal.user_id == (subject if is_user else None)


def test_principal_memberships() -> None:
    manager = PRINCIPALS["manager"]
    member = PRINCIPALS["member"]
    assert manager.manages(ORG)
    assert manager.member_of(ORG)
    assert member.member_of(ORG)
    assert not member.manages(ORG)
    assert not manager.member_of(OTHER_ORG)
    assert not manager.manages(OTHER_ORG)
    assert ANONYMOUS.user_id is None
    assert not ANONYMOUS.memberships


# ---------------------------------------------------------------------------------------------
# tokens


def codec(**overrides: Any) -> TokenCodec:
    values: dict[str, Any] = {"jwt_leeway_seconds": 60, **overrides}
    return TokenCodec(Settings(_env_file=None, **values))  # type: ignore[call-arg]


def now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.parametrize("kind", list(SubjectKind))
def test_token_round_trip(kind: SubjectKind) -> None:
    tokens = codec()
    subject = uuid.uuid4()
    token, ttl = tokens.issue(subject, kind, now())
    assert ttl == 1800
    assert tokens.read(token) == Claims(subject, kind)


def test_token_claims() -> None:
    tokens = codec(jwt_issuer="issuer-x", jwt_audience="audience-y", access_token_ttl_seconds=600)
    issued_at = now()
    token, ttl = tokens.issue(uuid.uuid4(), SubjectKind.USER, issued_at)
    claims = jwt.get_unverified_claims(token)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    assert ttl == 600
    assert claims["iss"] == "issuer-x"
    assert claims["aud"] == "audience-y"
    assert claims["typ"] == "access"
    assert claims["knd"] == "user"
    assert claims["exp"] - claims["iat"] == 600
    assert claims["iat"] == int(issued_at.timestamp())
    other, _ = tokens.issue(uuid.uuid4(), SubjectKind.USER, issued_at)
    assert jwt.get_unverified_claims(other)["jti"] != claims["jti"]


def issued_expired_ago(tokens: TokenCodec, seconds: int) -> str:
    """A token whose `exp` lies `seconds` in the past."""
    token, ttl = tokens.issue(
        uuid.uuid4(), SubjectKind.USER, now() - timedelta(seconds=1800 + seconds)
    )
    assert ttl == 1800
    return token


def test_leeway_accepts_a_token_expired_30_seconds_ago() -> None:
    tokens = codec()
    assert tokens.leeway == 60
    tokens.read(issued_expired_ago(tokens, 30))


def test_leeway_refuses_a_token_expired_120_seconds_ago() -> None:
    tokens = codec()
    with pytest.raises(Unauthenticated):
        tokens.read(issued_expired_ago(tokens, 120))


def test_without_leeway_a_token_expired_30_seconds_ago_is_refused() -> None:
    tokens = codec(jwt_leeway_seconds=0)
    with pytest.raises(Unauthenticated):
        tokens.read(issued_expired_ago(tokens, 30))


def test_leeway_is_at_most_a_minute() -> None:
    with pytest.raises(ValueError, match="jwt_leeway_seconds"):
        Settings(_env_file=None, jwt_leeway_seconds=61)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "reader",
    [
        {"jwt_secret": "another-secret-0123456789abcdef0123"},
        {"jwt_issuer": "someone-else"},
        {"jwt_audience": "someone-else"},
    ],
    ids=["secret", "issuer", "audience"],
)
def test_a_token_of_another_configuration_is_refused(reader: dict[str, str]) -> None:
    token, _ = codec().issue(uuid.uuid4(), SubjectKind.USER, now())
    with pytest.raises(Unauthenticated):
        codec(**reader).read(token)


@pytest.fixture(scope="module")
def rsa_pems() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def test_rs256_round_trip_and_no_crossing(rsa_pems: tuple[str, str]) -> None:
    private_pem, public_pem = rsa_pems
    rs = codec(jwt_algorithm="RS256", jwt_private_key=private_pem, jwt_public_key=public_pem)
    hs = codec()
    subject = uuid.uuid4()
    token, _ = rs.issue(subject, SubjectKind.SERVICE, now())
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert rs.read(token) == Claims(subject, SubjectKind.SERVICE)
    with pytest.raises(Unauthenticated):
        hs.read(token)
    hs_token, _ = hs.issue(subject, SubjectKind.SERVICE, now())
    with pytest.raises(Unauthenticated):
        rs.read(hs_token)


@pytest.mark.parametrize(
    "change",
    [
        {"typ": "refresh"},
        {"typ": None},
        {"knd": "root"},
        {"knd": None},
        {"sub": "not-a-uuid"},
        {"sub": None},
        {"exp": None},
        {"iat": None},
        {"iss": None},
        {"aud": None},
    ],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_read_refuses_claims_it_did_not_issue(change: dict[str, Any]) -> None:
    tokens = codec()
    token, _ = tokens.issue(uuid.uuid4(), SubjectKind.USER, now())
    claims = jwt.get_unverified_claims(token)
    for name, value in change.items():
        if value is None:
            del claims[name]
        else:
            claims[name] = value
    secret = Settings(_env_file=None).jwt_secret.get_secret_value()  # type: ignore[call-arg]
    forged = jwt.encode(claims, secret)
    with pytest.raises(Unauthenticated):
        tokens.read(forged)
