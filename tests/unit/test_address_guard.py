"""The address guard (pure): which URLs and resolved addresses the service may call. No
connection is opened and nothing is resolved here: the addresses are given."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from jiebang_api.integration import addresses
from jiebang_api.integration.addresses import Policy, Refused
from jiebang_api.settings import Settings

DEV = Policy.of(https_only=False, allowed=())
PROD = Policy.of(https_only=True, allowed=())


def refused_why(url: str, resolved: list[str], policy: Policy = DEV) -> str:
    with pytest.raises(Refused) as caught:
        addresses.check(url, resolved, policy)
    return caught.value.reason.en


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address refused, not bound
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        # IPv4-mapped IPv6: judged as the IPv4 address it is.
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("::ffff:100.64.0.1", "carrier-grade NAT"),
        # IPv4 embedded in IPv6: 6to4, NAT64, Teredo (client = the complement of the field).
        ("2002:7f00:1::", "loopback"),
        ("2002:a9fe:a9fe::1", "metadata"),
        # NAT64 (64:ff9b::/96) lies in ::/8, reserved as a whole.
        ("64:ff9b::a9fe:a9fe", "reserved"),
        ("64:ff9b::a00:1", "reserved"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo client 10.0.0.1
    ],
)
def test_an_address_of_a_refused_kind_is_refused(address: str, kind: str) -> None:
    why = refused_why("http://hooks.example.org/in", [address])
    assert kind in why
    assert "not allowed" in why


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111"])
def test_a_public_address_passes(address: str) -> None:
    addresses.check("https://hooks.example.org/in", [address], PROD)
    addresses.check("http://hooks.example.org/in", [address], DEV)


def test_one_refused_address_among_public_ones_refuses_the_url() -> None:
    assert "private" in refused_why("http://h.example.org/", ["1.1.1.1", "10.0.0.9"])


def test_a_name_that_resolves_to_nothing_is_refused() -> None:
    assert refused_why("http://h.example.org/", []) == "The URL's host name does not resolve."


def test_the_allow_list_lets_an_address_through_and_nothing_else() -> None:
    allowed = Policy.of(https_only=False, allowed=("127.0.0.1", "10.20.0.0/16"))
    addresses.check("http://127.0.0.1:9/hook", ["127.0.0.1"], allowed)
    addresses.check("http://internal.example/hook", ["10.20.3.4"], allowed)
    addresses.check("http://[::ffff:127.0.0.1]:9/hook", ["::ffff:127.0.0.1"], allowed)
    assert "loopback" in refused_why("http://127.0.0.2/", ["127.0.0.2"], allowed)
    assert "private" in refused_why("http://internal.example/", ["10.21.0.1"], allowed)
    assert "loopback" in refused_why("http://localhost/", ["127.0.0.1", "::1"], allowed)


def test_an_empty_allow_list_refuses_loopback_and_the_metadata_address() -> None:
    assert "loopback" in refused_why("http://127.0.0.1:9/hook", ["127.0.0.1"])
    assert "metadata" in refused_why("http://169.254.169.254/latest", ["169.254.169.254"])


def test_production_takes_https_only_dev_and_test_take_http_too() -> None:
    why = refused_why("http://hooks.example.org/in", ["1.1.1.1"], PROD)
    assert why == "Only https URLs are allowed in production."
    addresses.check("HTTPS://hooks.example.org/in", ["1.1.1.1"], PROD)
    addresses.check("http://hooks.example.org/in", ["1.1.1.1"], DEV)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.org/in", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("http://user:pw@hooks.example.org/in", "user name or password"),
        ("http:///in", "no host"),
        ("http://hooks.example.org:99999/in", "not valid"),
        ("http://hooks.example.org:0/in", "port"),
        ("http://[::1/in", "not valid"),
    ],
)
def test_a_url_of_another_form_is_refused(url: str, why: str) -> None:
    assert why in refused_why(url, ["1.1.1.1"])


def test_the_target_names_the_host_and_the_port_to_resolve() -> None:
    assert addresses.target_of("https://Hooks.Example.org/x", DEV) == addresses.Target(
        "https", "hooks.example.org", 443
    )
    assert addresses.target_of("http://[::1]:8080/x", DEV) == addresses.Target("http", "::1", 8080)
    assert addresses.target_of("http://127.0.0.1/x", DEV).port == 80


def test_a_scoped_ipv6_address_is_judged_by_its_address() -> None:
    assert "link-local" in refused_why("http://h.example.org/", ["fe80::1%eth0"])


def test_the_allow_list_setting_takes_addresses_and_networks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JIEBANG_WEBHOOK_ALLOWED_ADDRESSES", "127.0.0.1, 10.0.0.0/8,::1")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.webhook_allowed_addresses == ["127.0.0.1", "10.0.0.0/8", "::1"]
    monkeypatch.setenv("JIEBANG_WEBHOOK_ALLOWED_ADDRESSES", "127.0.0.1,hooks.example")
    with pytest.raises(ValidationError, match=r"JIEBANG_WEBHOOK_ALLOWED_ADDRESSES.*hooks\.example"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_allow_list_is_empty_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIEBANG_WEBHOOK_ALLOWED_ADDRESSES", raising=False)
    assert Settings(_env_file=None).webhook_allowed_addresses == []  # type: ignore[call-arg]
