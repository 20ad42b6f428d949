"""Which copy of a request survives: the rules ccusage 20 applies, plus store replacement."""

from __future__ import annotations

from ccotel.importer.dedupe import Entry, resolve


def e(key_mid: str, rid: str | None, *, session: str = "s1", total: int = 100,
      sidechain: bool = False, stored: bool = False) -> Entry:
    key = f"tx:{key_mid}:{rid}"
    return Entry(key, key_mid, rid, session, sidechain, total, stored=stored,
                 row=None if stored else {"event_key": key, "total": total, "session": session})


def kept(res: object) -> list[tuple[str, int]]:
    return [(r["event_key"], r["total"]) for r in res.keep]  # type: ignore[attr-defined]


def test_one_response_written_as_several_lines_counts_once() -> None:
    res = resolve([], [e("msg_a", "r1"), e("msg_a", "r1"), e("msg_a", "r1")])
    assert kept(res) == [("tx:msg_a:r1", 100)] and res.duplicates == 2


def test_the_most_complete_copy_wins() -> None:
    res = resolve([], [e("msg_a", "r1", total=10), e("msg_a", "r1", total=100),
                       e("msg_a", "r1", total=50)])
    assert kept(res) == [("tx:msg_a:r1", 100)]


def test_a_more_complete_copy_replaces_the_stored_one() -> None:
    res = resolve([e("msg_a", "r1", total=10, stored=True)], [e("msg_a", "r1", total=100)])
    assert kept(res) == [("tx:msg_a:r1", 100)] and res.delete_keys == ["tx:msg_a:r1"]


def test_an_equal_or_smaller_copy_leaves_the_stored_one() -> None:
    res = resolve([e("msg_a", "r1", stored=True)], [e("msg_a", "r1"), e("msg_a", "r1", total=5)])
    assert kept(res) == [] and res.delete_keys == [] and res.duplicates == 2


def test_resume_copies_in_other_sessions_count_once() -> None:
    res = resolve([], [e("msg_a", "r1", session="s1"), e("msg_a", "r1", session="s2")])
    assert len(res.keep) == 1


def test_sidechain_replay_of_a_parent_is_dropped() -> None:
    res = resolve([], [e("msg_a", "r1"), e("msg_a", "r2", sidechain=True, total=50_000)])
    assert kept(res) == [("tx:msg_a:r1", 100)] and res.sidechain_replays == 1


def test_parent_arriving_after_its_replay_replaces_it() -> None:
    res = resolve([e("msg_a", "r2", sidechain=True, total=50_000, stored=True)],
                  [e("msg_a", "r1")])
    assert kept(res) == [("tx:msg_a:r1", 100)] and res.delete_keys == ["tx:msg_a:r2"]


def test_a_sidechains_own_responses_count() -> None:
    res = resolve([], [e("msg_a", "r1"), e("msg_b", "r2", sidechain=True)])
    assert len(res.keep) == 2


def test_two_main_thread_requests_with_one_message_id_both_count() -> None:
    # Only a sidechain copy is a replay; ccusage keeps both otherwise.
    res = resolve([], [e("msg_a", "r1"), e("msg_a", "r2")])
    assert len(res.keep) == 2


def test_replay_is_caught_when_the_parent_survived_as_a_resume_copy() -> None:
    # s2 (a --resume copy) was read first and kept; the replay lives in s1's subagent log.
    res = resolve([e("msg_a", "r1", session="s2", stored=True)],
                  [e("msg_a", "r1", session="s1"), e("msg_a", "r9", session="s1",
                                                     sidechain=True, total=9_999)])
    assert res.keep == [] and res.sidechain_replays == 1


def test_gateway_ids_are_scoped_to_their_session() -> None:
    res = resolve([], [e("gw-1", "r1", session="s1"),
                       e("gw-1", "r2", session="s2", sidechain=True)])
    assert len(res.keep) == 2
