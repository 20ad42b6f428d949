"""Dedupe's tie-breaks and counts, for the gaps mutation testing found in
importer/dedupe.py (docs/testing.md): each expected value is worked out by hand from the
rules in the module's docstring."""

from __future__ import annotations

from ccotel.importer.dedupe import Entry, resolve


def copy(mid: str, rid: str, *, cost: float = 1.0, speed: bool = False, total: int = 100,
         sidechain: bool = False, stored: bool = False, tag: str = "") -> Entry:
    key = f"tx:{mid}:{rid}"
    return Entry(key, mid, rid, "s1", sidechain, total, cost, speed, stored=stored,
                 row=None if stored else {"event_key": key, "tag": tag})


def tags(res: object) -> list[str]:
    return [r["tag"] for r in res.keep]  # type: ignore[attr-defined]


def test_with_equal_tokens_the_costlier_copy_wins() -> None:
    res = resolve([], [copy("msg_a", "r1", cost=1.0, tag="flat"),
                       copy("msg_a", "r1", cost=1.5, tag="split cache writes")])
    assert tags(res) == ["split cache writes"]
    stored = resolve([copy("msg_a", "r1", cost=1.0, stored=True)],
                     [copy("msg_a", "r1", cost=0.5, tag="cheaper")])
    assert tags(stored) == [] and stored.delete_keys == []


def test_then_the_copy_that_states_its_speed_wins() -> None:
    res = resolve([copy("msg_a", "r1", stored=True)], [copy("msg_a", "r1", speed=True, tag="s")])
    assert tags(res) == ["s"] and res.delete_keys == ["tx:msg_a:r1"]
    # Both state it: a tie, the first seen (the stored row) stays.
    tie = resolve([copy("msg_a", "r1", speed=True, stored=True)],
                  [copy("msg_a", "r1", speed=True, tag="again")])
    assert tags(tie) == [] and tie.delete_keys == [] and tie.duplicates == 1


def test_every_sidechain_replay_is_counted() -> None:
    res = resolve([], [copy("msg_a", "r1", tag="parent"),
                       copy("msg_a", "r2", sidechain=True, total=50_000),
                       copy("msg_a", "r3", sidechain=True, total=50_000)])
    assert tags(res) == ["parent"]
    assert res.sidechain_replays == 2 and res.duplicates == 0


def test_each_better_copy_is_kept_for_its_own_request() -> None:
    res = resolve([], [copy("msg_a", "r1", total=10), copy("msg_a", "r1", total=100, tag="a"),
                       copy("msg_b", "r1", total=10), copy("msg_b", "r1", total=100, tag="b")])
    assert sorted(tags(res)) == ["a", "b"] and res.duplicates == 2
