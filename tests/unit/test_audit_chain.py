"""Hash-chain arithmetic of the audit trail."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiebang_api.audit.chain import (
    HASHED_FIELDS,
    BrokenLink,
    canonical_bytes,
    entry_hash,
    first_broken_link,
)

T0 = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
HASH_REASON = "hash does not match the entry's content"
PREV_REASON = "prev_hash does not match the previous entry's hash"


def build_chain(
    n: int = 5,
    *,
    data: list[dict[str, Any]] | None = None,
    reasons: list[str | None] | None = None,
) -> list[dict[str, Any]]:
    """`n` linked entries of one resource, each hashed over its predecessor's hash."""
    chain: list[dict[str, Any]] = []
    previous: str | None = None
    for i in range(n):
        entry: dict[str, Any] = {
            "id": uuid.UUID(int=i + 1),
            "resource_type": "listing",
            "resource_id": "L-0001",
            "resource_seq": i + 1,
            "action": f"action-{i}",
            "actor_type": "user",
            "actor_id": f"user-{i}",
            "from_state": "draft" if i else None,
            "to_state": "published",
            "reason": reasons[i] if reasons else f"第 {i + 1} 次修改",
            "request_id": f"req-{i}",
            "data": data[i] if data else {"step": i, "名称": "揭榜挂帅"},
            "occurred_at": T0 + timedelta(minutes=i),
        }
        entry["prev_hash"] = previous
        entry["hash"] = previous = entry_hash(entry, previous)
        chain.append(entry)
    return chain


def rehash(chain: list[dict[str, Any]], index: int) -> None:
    """Recompute one entry's stored hash, as a forger who knows the algorithm would."""
    chain[index]["hash"] = entry_hash(chain[index], chain[index]["prev_hash"])


def test_intact_chain_verifies() -> None:
    chain = build_chain()
    assert first_broken_link(chain) is None
    assert len({e["hash"] for e in chain}) == 5
    assert [e["prev_hash"] for e in chain[1:]] == [e["hash"] for e in chain[:-1]]


def test_empty_chain_verifies() -> None:
    assert first_broken_link([]) is None


TAMPERED_VALUES: list[tuple[str, Any]] = [
    ("id", uuid.UUID(int=999)),
    ("resource_type", "project"),
    ("resource_id", "L-0002"),
    ("action", "delete"),
    ("actor_type", "system"),
    ("actor_id", None),
    ("actor_id", "intruder"),
    ("from_state", "archived"),
    ("to_state", None),
    ("reason", "篡改后的理由"),
    ("reason", None),
    ("request_id", "req-forged"),
    ("data", {}),
    ("data", {"step": 0, "名称": "揭榜挂帅", "extra": True}),
    ("occurred_at", T0 + timedelta(days=1)),
]


def test_tamper_table_covers_every_hashed_field_but_the_sequence() -> None:
    assert {f for f, _ in TAMPERED_VALUES} == set(HASHED_FIELDS) - {"resource_seq"}


@pytest.mark.parametrize("index", [0, 2, 4])
@pytest.mark.parametrize(("field", "value"), TAMPERED_VALUES)
def test_altered_hashed_field_breaks_that_entry(index: int, field: str, value: Any) -> None:
    chain = build_chain()
    assert chain[index][field] != value
    chain[index][field] = value
    assert first_broken_link(chain) == BrokenLink(
        entry_id=str(chain[index]["id"]),
        resource_type=chain[index]["resource_type"],
        resource_id=chain[index]["resource_id"],
        resource_seq=index + 1,
        reason=HASH_REASON,
    )


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_rehashed_forgery_breaks_the_next_link(index: int) -> None:
    chain = build_chain()
    chain[index]["reason"] = "伪造"
    rehash(chain, index)
    broken = first_broken_link(chain)
    assert broken is not None
    assert (broken.resource_seq, broken.reason) == (index + 2, PREV_REASON)


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("wrong", [None, "", "0" * 64, "not-a-hash"])
def test_wrong_prev_hash_is_named(index: int, wrong: str | None) -> None:
    chain = build_chain()
    if chain[index]["prev_hash"] == wrong:
        wrong = "f" * 64
    chain[index]["prev_hash"] = wrong
    broken = first_broken_link(chain)
    assert broken is not None
    assert (broken.entry_id, broken.resource_seq, broken.reason) == (
        str(uuid.UUID(int=index + 1)),
        index + 1,
        PREV_REASON,
    )


@pytest.mark.parametrize("index", [0, 2, 4])
def test_wrong_stored_hash_is_named(index: int) -> None:
    chain = build_chain()
    chain[index]["hash"] = "0" * 64
    broken = first_broken_link(chain)
    assert broken is not None
    assert (broken.resource_seq, broken.reason) == (index + 1, HASH_REASON)


@pytest.mark.parametrize(
    ("mutate", "at_seq", "reason"),
    [
        (lambda c: c.pop(0), 2, "sequence gap: expected 1, found 2"),
        (lambda c: c.pop(2), 4, "sequence gap: expected 3, found 4"),
        (lambda c: c.insert(3, dict(c[2])), 3, "sequence gap: expected 4, found 3"),
        (
            lambda c: c.__setitem__(slice(1, 3), [c[2], c[1]]),
            3,
            "sequence gap: expected 2, found 3",
        ),
        (lambda c: c[4].__setitem__("resource_seq", 7), 7, "sequence gap: expected 5, found 7"),
        (lambda c: c[0].__setitem__("resource_seq", 0), 0, "sequence gap: expected 1, found 0"),
    ],
    ids=["first-missing", "middle-missing", "duplicate", "swapped", "jump", "zero"],
)
def test_sequence_gap_is_named(mutate: Any, at_seq: int, reason: str) -> None:
    chain = build_chain()
    mutate(chain)
    broken = first_broken_link(chain)
    assert broken is not None
    assert (broken.resource_seq, broken.reason) == (at_seq, reason)


def test_dropping_the_tail_is_not_a_gap() -> None:
    # The chain alone cannot tell a truncated tail from a shorter history.
    assert first_broken_link(build_chain()[:3]) is None


# --- canonical form -------------------------------------------------------------------------


def test_canonical_bytes_exact_form() -> None:
    entry = {
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "resource_type": "listing",
        "resource_seq": 1,
        "action": "publish",
        "actor_type": "user",
        "reason": "发布榜单",
        "data": {"b": [1, 2], "a": {"y": None, "x": "值"}},
        "occurred_at": datetime(2025, 1, 2, 11, 0, tzinfo=timezone(timedelta(hours=8))),
        "hash": "ignored",
        "prev_hash": "ignored",
        "unrelated": "ignored",
    }
    expected = (
        '{"action":"publish","actor_id":null,"actor_type":"user",'
        '"data":{"a":{"x":"值","y":null},"b":[1,2]},"from_state":null,'
        '"id":"12345678-1234-5678-1234-567812345678",'
        '"occurred_at":"2025-01-02T03:00:00.000000+00:00",'
        '"reason":"发布榜单","request_id":null,"resource_id":null,'
        '"resource_seq":1,"resource_type":"listing","to_state":null}'
    ).encode()
    assert canonical_bytes(entry) == expected
    assert entry_hash(entry, None) == hashlib.sha256(expected).hexdigest()
    assert entry_hash(entry, "abc") == hashlib.sha256(expected + b"abc").hexdigest()


def test_hash_ignores_key_order_of_data_and_entry() -> None:
    entry = build_chain(1)[0]
    data = {"z": 1, "a": {"q": [1, {"k2": 2, "k1": 1}], "b": "乙"}, "m": None}
    reordered = {"m": None, "a": {"b": "乙", "q": [1, {"k1": 1, "k2": 2}]}, "z": 1}
    forward = {**entry, "data": data}
    backward = dict(reversed(list({**entry, "data": reordered}.items())))
    assert entry_hash(forward, "p") == entry_hash(backward, "p")


def test_hash_depends_on_list_order_in_data() -> None:
    entry = build_chain(1)[0]
    assert entry_hash({**entry, "data": {"a": [1, 2]}}, None) != entry_hash(
        {**entry, "data": {"a": [2, 1]}}, None
    )


def test_uuid_and_its_string_hash_equally() -> None:
    entry = build_chain(1)[0]
    assert entry_hash(entry, None) == entry_hash({**entry, "id": str(entry["id"])}, None)


def test_hash_depends_on_prev_hash() -> None:
    entry = build_chain(1)[0]
    assert len({entry_hash(entry, None), entry_hash(entry, "a"), entry_hash(entry, "b")}) == 3


@pytest.mark.parametrize(
    "same_instant",
    [
        T0,
        T0.astimezone(timezone(timedelta(hours=8))),
        T0.astimezone(timezone(timedelta(hours=-5, minutes=-30))),
        T0.astimezone(timezone(timedelta(hours=13, minutes=45))),
    ],
)
def test_same_instant_in_any_timezone_hashes_equally(same_instant: datetime) -> None:
    entry = build_chain(1)[0]
    assert entry_hash({**entry, "occurred_at": same_instant}, None) == entry_hash(
        {**entry, "occurred_at": T0}, None
    )


@pytest.mark.parametrize("delta", [timedelta(microseconds=1), timedelta(hours=8)])
def test_different_instants_hash_differently(delta: timedelta) -> None:
    entry = build_chain(1)[0]
    assert entry_hash({**entry, "occurred_at": T0 + delta}, None) != entry_hash(
        {**entry, "occurred_at": T0}, None
    )


# --- properties -----------------------------------------------------------------------------

texts = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    ),
    max_size=20,
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
data_dicts = st.dictionaries(texts, json_values, max_size=5)
reasons = st.none() | texts
chains = st.builds(
    lambda data, reasons: build_chain(5, data=data, reasons=reasons),
    st.lists(data_dicts, min_size=5, max_size=5),
    st.lists(reasons, min_size=5, max_size=5),
)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _replacement(field: str, old: Any) -> st.SearchStrategy[Any]:
    if field == "id":
        fresh: st.SearchStrategy[Any] = st.uuids()
    elif field == "resource_seq":
        fresh = st.integers(-5, 50)
    elif field == "occurred_at":
        fresh = (
            st.integers(-(10**12), 10**12)
            .filter(bool)
            .map(lambda us: old + timedelta(microseconds=us))
        )
    elif field == "data":
        fresh = data_dicts
    elif field in {"resource_type", "resource_id", "action", "actor_type"}:
        fresh = texts
    else:
        fresh = reasons
    return fresh.filter(lambda new: _canonical(new) != _canonical(old))


@settings(database=None, deadline=None)
@given(chain=chains)
def test_property_intact_chain_verifies(chain: list[dict[str, Any]]) -> None:
    assert first_broken_link(chain) is None


@settings(database=None, deadline=None)
@given(
    chain=chains,
    index=st.integers(0, 4),
    field=st.sampled_from(HASHED_FIELDS),
    draw=st.data(),
)
def test_property_any_single_change_breaks_at_that_entry(
    chain: list[dict[str, Any]], index: int, field: str, draw: st.DataObject
) -> None:
    new = draw.draw(_replacement(field, chain[index][field]), label="new value")
    chain[index][field] = new
    broken = first_broken_link(chain)
    assert broken is not None
    assert broken.entry_id == str(chain[index]["id"])
    if field == "resource_seq":
        assert broken.resource_seq == new
        assert broken.reason == f"sequence gap: expected {index + 1}, found {new}"
    else:
        assert broken.resource_seq == index + 1
        assert broken.reason == HASH_REASON


# --- changed fields -------------------------------------------------------------------------

CHANGES = {
    "title": {"old": "稀土永磁材料", "new": "稀土永磁材料（修订）"},
    "total_rd_investment": {"old": "15000000.00", "new": "1500000.50"},
}


def _hash_before_changes_existed(entry: dict[str, Any], prev_hash: str | None) -> str:
    """The hash as computed before `changes` was hashed: only the original fields."""
    body = {name: entry[name] for name in HASHED_FIELDS}
    body["id"] = str(body["id"])
    body["occurred_at"] = body["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode() + (prev_hash or "").encode()).hexdigest()


def test_an_entry_without_changes_hashes_as_before() -> None:
    chain = build_chain()
    for entry in chain:
        expected = _hash_before_changes_existed(entry, entry["prev_hash"])
        assert entry["hash"] == expected
        assert entry_hash({**entry, "changes": None}, entry["prev_hash"]) == expected
        assert b"changes" not in canonical_bytes({**entry, "changes": None})
    assert first_broken_link([{**e, "changes": None} for e in chain]) is None


def test_changes_are_hashed() -> None:
    entry = build_chain(1)[0]
    with_changes = {**entry, "changes": CHANGES}
    assert entry_hash(with_changes, None) != entry_hash(entry, None)
    assert json.loads(canonical_bytes(with_changes))["changes"] == CHANGES


@pytest.mark.parametrize(
    "altered",
    [
        {**CHANGES, "title": {"old": "稀土永磁材料", "new": "别的名称"}},
        {**CHANGES, "total_rd_investment": {"old": "15000000.00", "new": "1500000.51"}},
        {**CHANGES, "total_rd_investment": {"old": None, "new": "1500000.50"}},
        {"title": CHANGES["title"]},
        {**CHANGES, "status": {"old": "draft", "new": "published"}},
        {},
    ],
    ids=["new-text", "new-amount", "old-value", "field-dropped", "field-added", "emptied"],
)
def test_a_different_change_hashes_differently(altered: dict[str, Any]) -> None:
    entry = build_chain(1)[0]
    assert entry_hash({**entry, "changes": altered}, None) != entry_hash(
        {**entry, "changes": CHANGES}, None
    )


def test_hash_ignores_key_order_of_changes() -> None:
    entry = build_chain(1)[0]
    reordered = {k: dict(reversed(v.items())) for k, v in reversed(CHANGES.items())}
    assert entry_hash({**entry, "changes": reordered}, "p") == entry_hash(
        {**entry, "changes": CHANGES}, "p"
    )


def relinked_with(chain: list[dict[str, Any]], changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The chain with `changes` on every entry, hashed and linked anew."""
    previous: str | None = None
    for entry in chain:
        entry["changes"], entry["prev_hash"] = changes, previous
        entry["hash"] = previous = entry_hash(entry, previous)
    return chain


@pytest.mark.parametrize("index", [0, 2, 4])
def test_altered_changes_break_that_entry(index: int) -> None:
    chain = relinked_with(build_chain(), CHANGES)
    assert first_broken_link(chain) is None
    chain[index]["changes"] = {**CHANGES, "title": {"old": "稀土永磁材料", "new": "伪造"}}
    broken = first_broken_link(chain)
    assert broken is not None
    assert (broken.entry_id, broken.resource_seq, broken.reason) == (
        str(chain[index]["id"]),
        index + 1,
        HASH_REASON,
    )


def test_dropping_the_changes_breaks_that_entry() -> None:
    chain = relinked_with(build_chain(3), CHANGES)
    chain[1]["changes"] = None
    broken = first_broken_link(chain)
    assert broken is not None
    assert (broken.resource_seq, broken.reason) == (2, HASH_REASON)
