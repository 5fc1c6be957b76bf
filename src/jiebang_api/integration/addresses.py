"""The address guard (pure): may the service send requests to this URL?

The service calls out to URLs its callers name (webhook receivers, the plan system). Without
a guard a caller could make it call its own loopback, the machine's cloud metadata endpoint
or hosts of the internal network (server-side request forgery). So a URL is judged with the
addresses its host resolves to, every one of them:

- `https` only in production (`http` also in dev and test), no user name or password in it;
- no address that is loopback, private, link-local, unspecified, multicast, reserved,
  carrier-grade NAT (100.64.0.0/10) or a metadata address (169.254.169.254, fd00:ec2::254),
  nor an IPv6 address that embeds such an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64);
- unless the address is in the allow-list (`JIEBANG_WEBHOOK_ALLOWED_ADDRESSES`).

No I/O here: resolving the host is the caller's (and a name that resolves to nothing is
refused too). Checking again at connection time, on the address actually connected to, is
what the sender does (DNS may answer differently then).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from jiebang_api.kit.errors import Message

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Target:
    """What a URL names: the host to resolve and the port to connect to."""

    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class Policy:
    """What the guard allows: `https_only` in production; `allowed` networks pass whatever
    their kind."""

    https_only: bool
    allowed: tuple[Network, ...] = ()

    @classmethod
    def of(cls, *, https_only: bool, allowed: Iterable[str]) -> Policy:
        networks = tuple(ipaddress.ip_network(entry, strict=False) for entry in allowed)
        return cls(https_only=https_only, allowed=networks)


class Refused(Exception):
    """The URL may not be called; `reason` says why, in both languages."""

    def __init__(self, reason: Message) -> None:
        super().__init__(reason.en)
        self.reason = reason


def _refuse(zh: str, en: str) -> Refused:
    return Refused(Message(zh, en))


def target_of(url: str, policy: Policy) -> Target:
    """The host and port `url` names, once its form is acceptable (else `Refused`)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("URL 格式无效。", "The URL is not valid.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _refuse("URL 须以 https:// 开头。", "The URL must start with https://.")
    if policy.https_only and scheme != "https":
        raise _refuse("生产环境仅允许 https URL。", "Only https URLs are allowed in production.")
    if parts.username is not None or parts.password is not None:
        raise _refuse(
            "URL 不得包含用户名或密码。", "The URL may not carry a user name or password."
        )
    if not parts.hostname:
        raise _refuse("URL 缺少主机名。", "The URL has no host.")
    if port == 0:
        raise _refuse("URL 的端口无效。", "The URL's port is not valid.")
    return Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80))


def _embedded(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: 6to4, Teredo (server and client), NAT64."""
    found: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _kind(address: Address) -> Message | None:
    """Why an address (taken alone) is no place to send requests to; None if it is one."""
    if address in METADATA:
        return Message("云平台元数据地址", "a cloud metadata address")
    if address.is_loopback:
        return Message("环回地址", "a loopback address")
    if address.is_unspecified:
        return Message("未指定地址", "the unspecified address")
    if address.is_link_local:
        return Message("链路本地地址", "a link-local address")
    if address.version == 4 and address in CARRIER_GRADE_NAT:
        return Message("运营商级 NAT 地址", "a carrier-grade NAT address")
    if address.is_multicast:
        return Message("组播地址", "a multicast address")
    if address.is_reserved:
        return Message("保留地址", "a reserved address")
    if address.is_private:
        return Message("私有地址", "a private address")
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return Message("站点本地地址", "a site-local address")
    return None


def refusal(address: Address, policy: Policy) -> Message | None:
    """Why the service may not send to `address` under `policy`; None when it may.

    An IPv4-mapped IPv6 address is judged as the IPv4 address it is; an IPv6 address that
    embeds IPv4 addresses is refused when it or any of them is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    candidates: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        candidates.extend(_embedded(address))
    for candidate in candidates:
        if any(candidate in network for network in policy.allowed):
            continue
        kind = _kind(candidate)
        if kind is not None:
            shown = str(candidate) if candidate is address else f"{address} ({candidate})"
            return Message(
                f"URL 的主机解析到 {shown}，属于{kind.zh}，不允许。",
                f"The URL's host resolves to {shown}, {kind.en}, which is not allowed.",
            )
    return None


def check(url: str, addresses: Sequence[str], policy: Policy) -> None:
    """Refuse `url` (raise `Refused`) unless its form passes and every address its host
    resolved to (`addresses`, as text) may be sent to. No address at all is a refusal."""
    target_of(url, policy)
    if not addresses:
        raise _refuse("URL 的主机名无法解析。", "The URL's host name does not resolve.")
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])  # a scoped IPv6: its address
        except ValueError:
            raise _refuse(
                "URL 的主机名无法解析。", "The URL's host name does not resolve."
            ) from None
        reason = refusal(address, policy)
        if reason is not None:
            raise Refused(reason)
