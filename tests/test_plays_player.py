"""The player's play log (player/plays.py): recording what the page shows, batching, the file
that keeps unsent plays through restarts, the cap, and acknowledgements."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from player import plays
from player.plays import PlayFile, PlayLog
from player.protocol import MAX_PLAYS_PER_BATCH, Item, Play, Plays, parse_player_message, serialize

A = Item("morkov/a.jpg", "image", "a" * 64, 10.0, title="Julemarked")
B = Item("morkov/b.jpg", "image", "b" * 64, 10.0, title="Fællesspisning")


class NoSpread(random.Random):
    """An rng whose every draw is 0: the first batch after connecting is due at once."""

    def random(self) -> float:
        return 0.0


def watched_log(**kwargs: object) -> PlayLog:
    log = PlayLog(rng=NoSpread(), **kwargs)  # type: ignore[arg-type]
    log.watched(True, 0.0)
    return log


def rotate(log: PlayLog, items: list[Item], start: float, seconds: float = 10.0) -> float:
    """Show ``items`` one after the other, ``seconds`` each; returns the time after."""
    now = start
    for item in items:
        log.showing(item, now, now)
        now += seconds
        log.tick(now)
    log.showing(None, now, now)
    return now


def test_an_item_is_a_play_from_when_it_came_on_until_the_next() -> None:
    log = watched_log()
    log.showing(A, 100.0, 100.0)
    log.tick(105.0)
    log.showing(B, 112.5, 112.5)
    assert log.waiting() == [Play("morkov/a.jpg", 100.0, 12.5, "Julemarked")]
    log.showing(None, 120.0, 120.0)
    assert log.waiting()[1] == Play("morkov/b.jpg", 112.5, 7.5, "Fællesspisning")


def test_only_while_a_page_shows_it_and_nothing_urgent_covers_it() -> None:
    log = PlayLog(rng=NoSpread())
    log.showing(A, 0.0, 0.0)  # no kiosk page: nobody sees it
    log.watched(True, 5.0)
    log.covered(True, 8.0)  # an urgent announcement over the slides
    log.covered(False, 20.0)
    log.watched(False, 25.0)  # the page went away
    log.watched(True, 30.0)
    log.showing(B, 32.0, 32.0)
    assert [(p.item, p.started_at, p.seconds) for p in log.waiting()] == [
        ("morkov/a.jpg", 5.0, 3.0),
        ("morkov/a.jpg", 20.0, 5.0),
        ("morkov/a.jpg", 30.0, 2.0),
    ]


def test_a_new_round_of_the_same_item_is_a_new_play_and_a_resend_is_not() -> None:
    log = watched_log()
    log.showing(A, 0.0, 0.0)
    log.showing(A, 0.0, 4.0)  # the same item told again (a new snapshot): one play
    log.showing(A, 10.0, 10.0)  # the only item, a new round
    log.showing(None, 20.0, 20.0)
    assert [(p.started_at, p.seconds) for p in log.waiting()] == [(0.0, 10.0), (10.0, 10.0)]


def test_short_flickers_long_stretches_and_clock_jumps() -> None:
    log = watched_log()
    log.showing(A, 0.0, 0.0)
    log.showing(B, 0.5, 0.5)  # half a second: not a play
    now = 0.5
    while now < 0.5 + 1300:  # one item for 1,300 s, ticked as the daemon ticks
        now += 0.25
        log.tick(now)
    assert [p.seconds for p in log.waiting()] == [plays.MAX_PLAY_SECONDS] * 2
    log.tick(now + 3600)  # the clock was set an hour ahead: the play ends at the last reading
    log.tick(now + 3610)
    log.showing(None, now + 3610, now + 3610)
    assert [(p.started_at, p.seconds) for p in log.waiting()[2:]] == [
        (1200.5, now - 1200.5),
        (now + 3600, 10.0),
    ]


def test_titles_are_cut_and_plays_round_trip_the_wire() -> None:
    log = watched_log()
    long = Item("morkov/c.jpg", "image", "c" * 64, 10.0, title="x" * 1000)
    log.showing(long, 0.0, 0.0)
    log.showing(None, 5.0, 5.0)
    assert log.waiting()[0].title == "x" * plays.TITLE_CHARS
    log.acknowledged(0, 5.0)
    batch = log.batch(5.0)
    assert batch is not None
    assert parse_player_message(serialize(batch)) == batch


def test_nothing_is_sent_until_the_server_says_it_takes_plays() -> None:
    log = watched_log()
    rotate(log, [A, B], 0.0)
    assert log.batch(1000.0) is None  # connected to an older server, or not at all
    log.acknowledged(0, 1000.0)
    batch = log.batch(1000.0)
    assert batch == Plays(2, tuple(log.waiting()))


def test_batches_wait_a_minute_and_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    log = watched_log()
    log.acknowledged(0, 0.0)
    assert log.batch(0.0) is None  # nothing to send
    now = rotate(log, [A, B, A], 0.0)
    first = log.batch(now)
    assert first is not None and first.seq == 3 and len(first.plays) == 3
    now = rotate(log, [B], now)
    assert log.batch(now) is None  # the first is not acknowledged yet
    log.acknowledged(3, now)
    assert log.unsent == 1
    assert log.batch(now + 30) is None  # batched: a minute after the last
    second = log.batch(now + plays.BATCH_SECONDS)
    assert second is not None and second.seq == 4 and second.plays[0].item == B.id


def test_a_backlog_goes_in_full_batches_one_after_the_other() -> None:
    log = watched_log()
    rotate(log, [A, B] * 600, 0.0, seconds=2.0)
    assert log.unsent == 1200
    log.acknowledged(0, 0.0)
    sizes = []
    now = 5000.0
    while (batch := log.batch(now)) is not None:
        sizes.append(len(batch.plays))
        log.acknowledged(batch.seq, now)
    assert sizes == [MAX_PLAYS_PER_BATCH, MAX_PLAYS_PER_BATCH]  # the rest waits a minute
    assert log.batch(now + plays.BATCH_SECONDS) is not None
    assert log.unsent == 200


def test_a_batch_stays_far_below_the_frame_limit() -> None:
    log = watched_log()
    wide = [
        Item(f"morkov/{n:03d}-" + "x" * 4000, "image", "d" * 64, 10.0, title="ø" * 200)
        for n in range(300)
    ]
    rotate(log, wide, 0.0)
    log.acknowledged(0, 0.0)
    batch = log.batch(10_000.0)
    assert batch is not None and 0 < len(batch.plays) < 300
    assert len(serialize(batch).encode()) <= plays.BATCH_BYTES


def test_an_acknowledgement_drops_only_what_it_names() -> None:
    log = watched_log()
    log.acknowledged(0, 0.0)
    now = rotate(log, [A, B, A], 0.0)
    batch = log.batch(now)
    assert batch is not None and batch.seq == 3
    now = rotate(log, [B, A], now)  # two more while the batch travels
    log.acknowledged(3, now)
    assert [p.started_at for p in log.waiting()] == [30.0, 40.0]
    log.acknowledged(3, now)  # the same acknowledgement again: nothing more goes
    assert log.unsent == 2


def test_lost_acknowledgement_resends_the_same_batch_on_the_next_connection() -> None:
    log = watched_log()
    log.acknowledged(0, 0.0)
    now = rotate(log, [A, B], 0.0)
    sent = log.batch(now)
    log.disconnected()  # the server went away between send and acknowledgement
    assert log.batch(now + 1000) is None
    log.acknowledged(0, now + 1000)  # back: the server greets with plays_ack 0
    again = log.batch(now + 1000)
    assert again == sent


def test_a_greeting_on_a_new_connection_clears_a_batch_in_flight() -> None:
    # The batch went out after the link dropped but before the daemon noticed.
    log = watched_log()
    log.acknowledged(0, 0.0)
    rotate(log, [A], 0.0)
    assert log.batch(100.0) is not None
    log.acknowledged(0, 200.0)  # no disconnected() in between
    assert log.batch(200.0) is None  # the same connection: still in flight
    log.disconnected()
    log.acknowledged(0, 300.0)
    assert log.batch(300.0) is not None


def test_the_cap_drops_the_oldest_first() -> None:
    log = watched_log(cap=5)
    rotate(log, [A, B] * 4, 0.0)
    assert log.unsent == 5 and log.dropped == 3
    assert [p.started_at for p in log.waiting()] == [30.0, 40.0, 50.0, 60.0, 70.0]
    assert log.state() == {"unsent": 5, "cap": 5, "dropped": 3}
    log.acknowledged(0, 100.0)
    batch = log.batch(100.0)
    assert batch is not None and batch.seq == 8 and len(batch.plays) == 5
    log.acknowledged(8, 100.0)
    assert log.unsent == 0


def test_the_default_cap_is_in_the_state() -> None:
    assert PlayLog().state() == {"unsent": 0, "cap": plays.MAX_PLAYS, "dropped": 0}


def write_all(log: PlayLog, file: PlayFile) -> None:
    file.write(*log.writes())


def test_unsent_plays_survive_a_restart_and_acknowledged_ones_do_not(tmp_path: Path) -> None:
    file = PlayFile(tmp_path / "plays.jsonl", tmp_path)
    log = watched_log()
    write_all(log, file)  # the fresh file at the start
    now = rotate(log, [A, B, A], 0.0)
    write_all(log, file)
    log.acknowledged(0, now)
    batch = log.batch(now)
    assert batch is not None
    now = rotate(log, [B], now)
    log.acknowledged(2, now)  # the server has the first two
    write_all(log, file)
    lines = (tmp_path / "plays.jsonl").read_text().splitlines()
    assert json.loads(lines[-1]) == {"acked": 2}  # appended, not rewritten
    log.close(now)

    saved = file.load()
    assert saved == log.waiting()
    assert [(p.item, p.started_at) for p in saved] == [(A.id, 20.0), (B.id, 30.0)]
    again = PlayLog(saved, rng=NoSpread())
    write_all(again, file)  # written anew at the start, numbered from 1
    assert [json.loads(line)["n"] for line in file.path.read_text().splitlines()] == [1, 2]
    again.acknowledged(0, 0.0)
    batch = again.batch(0.0)
    assert batch is not None and batch.seq == 2 and list(batch.plays) == saved


def test_a_line_cut_short_by_a_power_cut_is_skipped(tmp_path: Path) -> None:
    file = PlayFile(tmp_path / "plays.jsonl", tmp_path)
    log = watched_log()
    rotate(log, [A, B], 0.0)
    write_all(log, file)
    with file.path.open("a") as out:
        out.write('{"n": 3, "item": "morkov/a.jp')
    assert [p.item for p in file.load()] == [A.id, B.id]
    assert PlayFile(tmp_path / "none.jsonl", tmp_path).load() == []


def test_the_cap_applies_to_what_the_file_held(tmp_path: Path) -> None:
    file = PlayFile(tmp_path / "plays.jsonl", tmp_path)
    log = watched_log()
    rotate(log, [A, B] * 5, 0.0)
    write_all(log, file)
    again = PlayLog(file.load(), cap=4)
    assert again.unsent == 4 and again.dropped == 6
    assert [p.started_at for p in again.waiting()] == [60.0, 70.0, 80.0, 90.0]


def test_the_file_is_written_anew_when_it_has_grown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plays, "COMPACT_SLACK", 10)
    file = PlayFile(tmp_path / "plays.jsonl", tmp_path)
    log = watched_log()
    log.acknowledged(0, 0.0)
    now = 0.0
    rewrites = 0
    for _ in range(30):
        now = rotate(log, [A], now)
        batch = log.batch(now + 100)
        assert batch is not None
        log.acknowledged(batch.seq, now + 100)
        now += 100
        rewrite, entries = log.writes()
        rewrites += rewrite
        file.write(rewrite, entries)
    assert rewrites >= 2
    assert len(file.path.read_text().splitlines()) <= 2 * log.unsent + 10
    assert file.load() == log.waiting() == []


def test_a_failed_write_is_made_good_by_the_next(tmp_path: Path) -> None:
    file = PlayFile(tmp_path / "plays.jsonl", tmp_path)
    log = watched_log()
    write_all(log, file)
    rotate(log, [A], 0.0)
    log.writes()  # taken, but the disk was full
    log.write_failed()
    rotate(log, [B], 20.0)
    write_all(log, file)
    assert [p.item for p in file.load()] == [A.id, B.id]


def test_the_messages_on_the_wire() -> None:
    from player.protocol import PlaysAck, ProtocolError, parse_server_message

    batch = Plays(7, (Play("morkov/a.jpg", 1795834299.947, 12.0, "Julemarked"),))
    frame = serialize(batch)
    assert frame.startswith('{"type":"plays","seq":7,"plays":[{"item":"morkov/a.jpg"')
    assert parse_player_message(frame) == batch
    assert parse_server_message('{"type":"plays_ack","seq":7}') == PlaysAck(7)
    assert parse_server_message(serialize(PlaysAck(0))) == PlaysAck(0)
    untitled = '{"type":"plays","seq":1,"plays":[{"item":"x","started_at":1,"seconds":2}]}'
    assert parse_player_message(untitled) == Plays(1, (Play("x", 1.0, 2.0, ""),))
    play = '{"item":"x","started_at":1,"seconds":1}'

    def plays_frame(*entries: str) -> str:
        return '{"type":"plays","seq":1,"plays":[' + ",".join(entries) + "]}"

    bad = {
        '{"type":"plays","seq":-1,"plays":[]}': "seq",
        plays_frame(*[play] * 501): "at most 500",
        plays_frame('{"item":"x","started_at":1,"seconds":90000}'): "seconds",
        plays_frame('{"item":"x","started_at":true,"seconds":1}'): "started_at",
        plays_frame('{"item":"x","started_at":1,"seconds":1,"title":5}'): "title",
        plays_frame('{"started_at":1,"seconds":1}'): "item",
        plays_frame("3"): "expected objects",
        '{"type":"plays_ack","seq":"1"}': "seq",
    }
    for text, problem in bad.items():
        with pytest.raises(ProtocolError, match=problem):
            if '"plays_ack"' in text:
                parse_server_message(text)
            else:
                parse_player_message(text)
