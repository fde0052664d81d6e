"""The crawl loop: probe, seed, then workers that claim, fetch and commit units until done.

Each unit's results, raw response and queue update are committed in ONE writer transaction, so a
process killed at any instant leaves the warehouse as of its last commit: every committed unit is
done for good, every other unit is still pending and is fetched by the next run.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

import httpx

from warehouse import Settings, Writer
from ingest.spotify import (
    AuthError,
    ClientStopped,
    CrawlPaused,
    RequestFailed,
    SpotifyClient,
    load_capabilities,
    probe_capabilities,
    save_capabilities,
)
from ingest.spotify import utcnow

from . import _frontier as frontier
from ._seeds import Seed, parse_seeds
from ._store import (add_counts, counts_json, merge, nonzero, observe_artists, observe_tracks, record_rejects,
                     record_responses)
from ._units import DETAIL_BATCH, FILL, HANDLERS, Context, Outcome, batch_sizes

log = logging.getLogger("genrestore.crawl")

SEED_PRIORITY = 100
COMMIT_INTERVAL = 1.0       # seconds between group commits at most
COMMIT_MAX_OUTCOMES = 400   # commit at once when this many outcomes wait
STOP_POLL = 0.1             # seconds between looks at the stop conditions while units run
STOP_GRACE = 5.0            # seconds requests already sent get to come back when a signal or the deadline ends a run
BATCH_GATES = {"batch_artists", "batch_tracks", "batch_albums"}
SINGLE_FALLBACK = {"artist", "refresh", "album"}  # kinds that fall back to single GETs
# Silver tables written by the crawler, in an order that keeps observations before their merge.
MERGE_ORDER = ("genres", "artists", "artist_genre_hits", "albums", "album_artists", "tracks",
               "track_artists", "audio_features", "playlists", "playlist_items")


@dataclass
class CrawlResult:
    """What one run did (also stored in ``crawl_runs``)."""

    run_id: str
    status: str                       # completed, stopped, paused, failed
    mode: str | None = None
    requests: int = 0
    responses_429: int = 0
    errors: int = 0
    units_done: int = 0
    inserted: dict[str, int] = field(default_factory=dict)   # table -> rows added (new keys)
    updated: dict[str, int] = field(default_factory=dict)    # table -> stored rows whose values changed
    pending: int = 0
    paused_until: datetime | None = None
    message: str = ""
    seconds: float = 0.0


def _seed_units(seeds: Sequence[Seed]) -> list[frontier.NewUnit]:
    units = []
    for s in seeds:
        if s.kind == "genre":
            units.append(frontier.NewUnit("search_genre", s.key.lower(), priority=SEED_PRIORITY))
        elif s.kind == "artist":
            units.append(frontier.NewUnit("artist", s.key, priority=SEED_PRIORITY))
            units.append(frontier.NewUnit("artist_albums", s.key, priority=SEED_PRIORITY))
        elif s.kind == "playlist":
            units.append(frontier.NewUnit("playlist", s.key, priority=SEED_PRIORITY))
        elif s.kind == "track":
            continue  # batched by add_details (seed_tracks)
        else:
            units.append(frontier.NewUnit("search_artists", s.key, priority=SEED_PRIORITY))
            units.append(frontier.NewUnit("playlist_search", s.key, priority=SEED_PRIORITY))
    return units


def paused_until(con) -> tuple[datetime, str] | None:
    """The pause recorded by an earlier run that is still in force, with that run's id."""
    row = (con.execute(
        "SELECT paused_until, run_id FROM crawl_runs WHERE paused_until > ? ORDER BY paused_until DESC LIMIT 1",
        [utcnow()]).fetchall()[:1] or [None])[0]
    return (row[0], row[1]) if row else None


class _Crawl:
    """State of one run: the client, the claims, the counters, the stop flags."""

    def __init__(self, settings: Settings, writer: Writer, client: SpotifyClient, run_id: str, *,
                 max_requests: int | None, deadline: float | None, stop_event: threading.Event):
        self.settings = settings
        self.writer = writer
        self.client = client
        self.run_id = run_id
        self.max_requests = max_requests
        self.deadline = deadline
        self.stop_event = stop_event
        self.claimed: set[tuple[str, str]] = set()
        self.in_flight = 0
        self.pick_lock = asyncio.Lock()
        self.changed = asyncio.Event()
        self.units_done = 0
        self.errors = 0
        self.inserted: dict[str, int] = {}  # rows committed, as the database counted them
        self.updated: dict[str, int] = {}
        self.pending: dict[str, int] = {}
        self.paused: CrawlPaused | None = None
        self.fatal: BaseException | None = None
        self.stop_reason: str | None = None
        self.ctx: Context | None = None
        self.sizes: dict[str, int] = {}
        self.commit_queue: list[tuple[Outcome, asyncio.Future]] = []
        self.commit_wake = asyncio.Event()
        self.commit_closed = False
        self.ready: list[list[frontier.Unit]] = []
        self.timing: dict[str, float] = {}  # seconds spent in picks and commits (for tuning)
        self.caps_changes = 0  # capability changes made during the run, and how many are stored
        self.caps_saved = 0

    # ── stopping ──
    def should_stop(self) -> bool:
        """Take no new unit (the first reason is kept in ``stop_reason``)."""
        if self.must_end_now():
            return True
        if self.max_requests is not None and self.client.stats.requests + self.in_flight >= self.max_requests:
            self.stop_reason = self.stop_reason or f"reached --max-requests {self.max_requests}"
            return True
        return False

    def must_end_now(self) -> bool:
        """End the run now, not only take no new unit: a long pause, a fatal error, a signal, --max-minutes.

        --max-requests is the one soft limit: the units in flight finish."""
        if self.paused or self.fatal:
            return True
        if self.stop_event.is_set():
            self.stop_reason = self.stop_reason or "stopped by a signal"
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.stop_reason = self.stop_reason or "reached --max-minutes"
            return True
        return False

    async def supervise(self, tasks: Sequence[asyncio.Task]) -> None:
        """Wait until ``tasks`` are done, or end them when the run must end now.

        The tasks wait on the limiter, on a pause, on tenacity's backoff or on the network, none of
        which looks at the stop conditions; so they are ended from here. A long pause or a fatal error:
        every task is cancelled at once. A signal or the deadline: no request starts any more (waiters
        raise ClientStopped), requests already sent get STOP_GRACE seconds to come back and commit, then
        their tasks are cancelled. A cancelled unit is released, still pending, for the next run.
        """
        pending = set(tasks)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=STOP_POLL)
            if pending and self.must_end_now():
                break
        if not pending:
            return
        self.client.stop(self.stop_reason or "the crawl is ending")
        if not (self.paused or self.fatal):
            _, pending = await asyncio.wait(pending, timeout=STOP_GRACE)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # ── committing ──
    def commit(self, con, outs: Sequence[Outcome]) -> tuple[dict[str, int], dict[str, int]]:
        """Write the outcomes of several units in one transaction (group commit); returns the rows
        it inserted and updated, by table (added to the run's totals once the transaction commits).

        Each unit's rows, raw response and queue update land together, so the all-or-nothing
        property holds per unit; grouping only amortizes the cost of a DuckDB commit.
        """
        now = utcnow()
        caps = self.ctx.caps
        record_responses(con, [o.response for o in outs if o.response is not None], self.run_id, caps.source)
        record_rejects(con, [r for o in outs for r in o.rejects], now)
        changes = self.caps_changes
        if changes != self.caps_saved:  # a capability was turned off or learnt since the last save
            save_capabilities(con, caps, self.client.api_url, self.settings.client_id or "", now)
            self.caps_saved = changes
        ok = [o for o in outs if o.failed is None]
        rows: dict[str, list] = {}
        for out in ok:
            for table, r in out.rows.items():
                rows.setdefault(table, []).extend(r)
        inserted = {"artist_observations": observe_artists(con, rows.get("artists", []), now),
                    "track_observations": observe_tracks(con, rows.get("tracks", []), now)}
        updated: dict[str, int] = {}
        for table in MERGE_ORDER:
            for new, changed in (merge(con, table, rows.get(table, []), now),
                                 merge(con, table, rows.get(table + FILL, []), now, fill=True)):
                inserted[table] = inserted.get(table, 0) + new
                updated[table] = updated.get(table, 0) + changed
        frontier.enqueue(con, [u for o in ok for u in o.enqueue], now)
        for kind, size in DETAIL_BATCH.items():
            frontier.add_details(con, kind, [i for o in ok for i in o.details.get(kind, ())], size, now)
        paged = [o for o in ok if o.next_params is not None]
        frontier.advance(con, [o.units[0] for o in paged], [o.next_params for o in paged], self.run_id)
        done, missing = [], []
        for out in ok:
            if out.next_params is None:
                gone = {u.ident for u in out.missing}
                done += [u for u in out.units if u.ident not in gone]
                missing += out.missing
        frontier.finish(con, done, now, self.run_id)
        frontier.fail(con, missing, "the API answered null for this id", now, self.run_id, final=True)
        for out in outs:
            # A refused batch call sends its members back untouched: they are fetched one by one.
            if out.failed is not None and not (out.capability_off in BATCH_GATES
                                               and out.units[0].kind in SINGLE_FALLBACK):
                frontier.fail(con, out.units, out.failed, now, self.run_id, final=out.final)
        inserted, updated = nonzero(inserted), nonzero(updated)
        stats = self.client.stats
        con.execute("UPDATE crawl_runs SET requests = ?, responses_429 = ?, errors = ?, rows_inserted = ?, "
                    "rows_updated = ? WHERE run_id = ?",
                    [stats.requests, stats.responses_429, self.errors, counts_json(self.inserted, inserted),
                     counts_json(self.updated, updated), self.run_id])
        return inserted, updated

    async def committer(self) -> None:
        """Commit whatever outcomes are waiting, in one transaction, again and again until closed."""
        last = 0.0
        while True:
            await self.commit_wake.wait()
            self.commit_wake.clear()
            # Every DuckDB statement costs milliseconds whatever its size, so commit at most every
            # COMMIT_INTERVAL seconds: bigger transactions, the same all-or-nothing per unit.
            wait = COMMIT_INTERVAL - (time.monotonic() - last)
            if wait > 0 and not self.commit_closed and len(self.commit_queue) < COMMIT_MAX_OUTCOMES:
                await asyncio.sleep(wait)
            last = time.monotonic()
            batch, self.commit_queue = self.commit_queue, []
            if batch:
                try:
                    t0 = time.perf_counter()
                    inserted, updated = await self.writer.run_async(
                        lambda con: self.commit(con, [o for o, _ in batch]))
                    add_counts(self.inserted, inserted)
                    add_counts(self.updated, updated)
                    self.timing["commit"] = self.timing.get("commit", 0) + time.perf_counter() - t0
                    self.timing["commits"] = self.timing.get("commits", 0) + 1
                except BaseException as exc:  # the units stay pending; the run stops
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                else:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_result(None)
            if self.commit_closed and not self.commit_queue:
                return

    def _enqueue_commit(self, out: Outcome) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.commit_queue.append((out, fut))
        self.commit_wake.set()
        return fut

    # ── the worker ──
    async def _next(self) -> list[frontier.Unit] | None:
        """The next batch to fetch; None when the frontier is exhausted or the run must stop."""
        while True:
            async with self.pick_lock:
                if self.should_stop():
                    return None
                if not self.ready:
                    partial = self.in_flight == 0
                    claimed = set(self.claimed)
                    t0 = time.perf_counter()
                    self.ready, self.pending = await self.writer.run_async(
                        lambda con: frontier.pick(con, self.sizes, claimed, allow_partial=partial,
                                                  max_batches=8 * self.settings.crawl.concurrency))
                    self.timing["pick"] = self.timing.get("pick", 0) + time.perf_counter() - t0
                    self.timing["picks"] = self.timing.get("picks", 0) + 1
                    if not self.ready and partial and self.in_flight == 0:
                        return None  # nothing pending, nothing in flight: the frontier is exhausted
                if self.ready:
                    units = self.ready.pop(0)
                    self.claimed.update(u.ident for u in units)
                    self.in_flight += 1
                    return units
                self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=0.5)
            except asyncio.TimeoutError:
                pass

    async def worker(self) -> None:
        try:
            await self._work()
        except Exception as exc:  # a bug or a failed pick, not an API answer: the run ends and reports it
            self.fatal = self.fatal or exc

    async def _work(self) -> None:
        while True:
            units = await self._next()
            if units is None:
                return
            out = None
            try:
                out = await self._fetch(units)
            finally:
                if out is None:
                    self._release(units)
            if out is not None:
                # Hand the outcome to the committer and fetch on; the units stay claimed (and count
                # as in flight) until their transaction has committed.
                fut = self._enqueue_commit(out)
                fut.add_done_callback(lambda f, units=units: self._committed(f, units))
                if len(self.commit_queue) > COMMIT_MAX_OUTCOMES:
                    await asyncio.wait([fut])  # back-pressure when commits fall behind

    def _release(self, units: list[frontier.Unit]) -> None:
        self.in_flight -= 1
        self.claimed.difference_update(u.ident for u in units)
        if not self.in_flight:
            self.ready = []  # re-plan: partial batches may go now
        self.changed.set()

    def _committed(self, fut: asyncio.Future, units: list[frontier.Unit]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            self.fatal = self.fatal or fut.exception()
        self._release(units)

    async def _fetch(self, units: list[frontier.Unit]) -> Outcome | None:
        kind = units[0].kind
        try:
            out = await HANDLERS[kind](units, self.ctx)
        except CrawlPaused as exc:
            self.paused = self.paused or exc
            return None
        except ClientStopped:  # the run is ending: the unit stays pending
            return None
        except AuthError as exc:
            self.fatal = self.fatal or exc
            return None
        except RequestFailed as exc:
            out = Outcome(units, failed=str(exc), final=False)
        if out.failed is not None:
            self.errors += 1
        else:
            self.units_done += len(units) - len(out.missing)
        if out.capability_off and getattr(self.ctx.caps, out.capability_off):
            log.warning("capability %s is off for these credentials (%s)", out.capability_off, out.failed)
            setattr(self.ctx.caps, out.capability_off, False)  # at once: no other request may use it
            self.caps_changes += 1
            self.sizes = batch_sizes(self.ctx.caps)
            self.ready = []
        for name, value in out.evidence.items():
            before = getattr(self.ctx.caps, name)
            if self.ctx.caps.learn(name, value):
                log.log(logging.WARNING if before is False else logging.INFO,
                        "capability %s was %s, a response shows %s: updated", name, before, value)
                self.caps_changes += 1
        return out


async def crawl_async(settings: Settings, writer: Writer, *, seeds=None, max_requests: int | None = None,
                      max_minutes: float | None = None, refresh_older_than: timedelta | None = None,
                      progress: bool = True, stop_event: threading.Event | None = None,
                      transport: httpx.AsyncBaseTransport | None = None, reprobe: bool = False) -> CrawlResult:
    """:func:`run_crawl` for callers that already run an event loop."""
    started = time.monotonic()
    seed_list = parse_seeds(seeds)
    stop_event = stop_event or threading.Event()
    pause = writer.run(paused_until)
    if pause is not None:
        raise CrawlPaused(pause[0], 0.0, f"crawling is paused until {pause[0]:%Y-%m-%d %H:%M:%S} UTC "
                                         f"(the API asked run {pause[1]} to back off); not starting before then")
    client = SpotifyClient.from_settings(settings, transport=transport)  # no credentials: fails here
    run_id = f"crawl-{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"

    def start(con):
        # Only one writer exists, so a run still marked 'running' belongs to a process that died.
        con.execute("UPDATE crawl_runs SET status = 'failed', ended_at = coalesce(ended_at, ?), "
                    "message = 'the process ended without closing the run (killed?)' WHERE status = 'running'",
                    [utcnow()])
        con.execute("INSERT INTO crawl_runs (run_id, started_at, status, api_url, seeds) VALUES (?, ?, 'running', ?, ?)",
                    [run_id, utcnow(), settings.api_url, ",".join(map(str, seed_list)) or None])
    writer.run(start)

    result = CrawlResult(run_id, "failed")
    deadline = started + max_minutes * 60 if max_minutes is not None else None
    crawl = _Crawl(settings, writer, client, run_id, max_requests=max_requests, deadline=deadline,
                   stop_event=stop_event)
    display = None
    try:
        caps = None if reprobe else writer.run(
            lambda con: load_capabilities(con, client.api_url, settings.client_id or ""))
        if caps is None:
            probe = asyncio.create_task(
                probe_capabilities(client))
            await crawl.supervise([probe])  # a signal or the deadline ends a probe waiting on a pause too
            if probe.cancelled() or isinstance(probe.exception(), ClientStopped):
                return _conclude(crawl, result)  # stopped during the probe (the finally records it)
            caps = probe.result()  # raises CrawlPaused, AuthError
            responses = getattr(caps, "_responses", [])

            def store(con):
                save_capabilities(con, caps, client.api_url, settings.client_id or "")
                record_responses(con, responses, run_id, caps.source)
            writer.run(store)
            log.info("probed capabilities with %d requests: mode %s", caps.probe_requests, caps.mode)
        crawl.ctx = Context(client, caps)
        crawl.sizes = batch_sizes(caps)
        now = utcnow()

        def seed(con):
            con.execute("UPDATE crawl_runs SET mode = ? WHERE run_id = ?", [caps.mode, run_id])
            frontier.enqueue(con, _seed_units(seed_list), now, skip_known_artists=False)
            track_ids = [s.key for s in seed_list if s.kind == "track"]
            if track_ids:
                # Seeded tracks not fetched before go out in full batches of 50.
                known = {r[0] for r in con.execute("SELECT track_id FROM tracks WHERE popularity IS NOT NULL "
                                                   "OR isrc IS NOT NULL").fetchall()}
                frontier.add_details(con, "seed_tracks", [t for t in track_ids if t not in known], 50, now)
                # All seeds are known now: the last, partial batch need not wait for more.
                con.execute("UPDATE crawl_queue SET state = 'pending' WHERE kind = 'seed_tracks' AND state = 'open'")
            if refresh_older_than is not None:
                cutoff = now - refresh_older_than
                keys = [r[0] for r in con.execute("""
                    SELECT a.artist_id FROM artists a
                    LEFT JOIN crawl_queue q ON q.kind = 'refresh' AND q.key = a.artist_id
                    WHERE a.source LIKE 'spotify:%' AND coalesce(q.done_at, a.first_seen_at) < ?
                      AND coalesce(q.state, 'done') <> 'pending'""", [cutoff]).fetchall()]
                frontier.requeue(con, "refresh", keys, now)
        writer.run(seed)

        if progress:
            from ._display import LiveDisplay

            display = LiveDisplay(crawl, settings)
            display.start()
        committer = asyncio.create_task(crawl.committer())
        workers = [asyncio.create_task(crawl.worker()) for _ in range(settings.crawl.concurrency)]
        try:
            await crawl.supervise(workers)
        finally:
            for task in workers:  # only if supervise itself was interrupted
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            crawl.commit_closed = True  # what completed still commits
            crawl.commit_wake.set()
            await committer
        _conclude(crawl, result)
    except CrawlPaused as exc:  # during the probe
        result.status = "paused"
        result.paused_until = exc.until
        result.message = str(exc)
    except BaseException as exc:
        result.status = "failed"
        result.message = str(exc) or type(exc).__name__
        raise
    finally:
        if display is not None:
            display.stop()
        await client.aclose()
        stats = client.stats
        result.mode = crawl.ctx.caps.mode if crawl.ctx else None
        result.requests = stats.requests
        result.responses_429 = stats.responses_429
        result.errors = crawl.errors
        result.units_done = crawl.units_done
        result.inserted = dict(sorted(crawl.inserted.items()))
        result.updated = dict(sorted(crawl.updated.items()))
        result.seconds = time.monotonic() - started

        def finish(con):
            con.execute(
                "UPDATE crawl_runs SET ended_at = ?, status = ?, mode = ?, requests = ?, responses_429 = ?, "
                "errors = ?, rows_inserted = ?, rows_updated = ?, paused_until = ?, message = ? WHERE run_id = ?",
                [utcnow(), result.status, result.mode, result.requests, result.responses_429, result.errors,
                 counts_json(result.inserted), counts_json(result.updated), result.paused_until,
                 result.message[:1000], run_id])
            result.pending = con.execute("SELECT count(*) FROM crawl_queue WHERE state = 'pending'").fetchall()[0][0]
        writer.run(finish)
        log.info("crawl %s %s: %d requests, %d x 429, %d units; %s", run_id, result.status, result.requests,
                 result.responses_429, result.units_done,
                 ", ".join(f"{k} {v:.1f}" for k, v in sorted(crawl.timing.items())))
    return result


def _conclude(crawl: _Crawl, result: CrawlResult) -> CrawlResult:
    """Set the run's status from why it ended (raises the fatal error, if any)."""
    if crawl.fatal is not None:
        raise crawl.fatal
    if crawl.paused is not None:
        result.status = "paused"
        result.paused_until = crawl.paused.until
        result.message = str(crawl.paused)
    elif crawl.stop_reason:
        result.status = "stopped"
        result.message = crawl.stop_reason
    else:
        result.status = "completed"
        result.message = "the frontier is exhausted"
    return result


def run_crawl(settings: Settings, writer: Writer, *, seeds=None, max_requests: int | None = None,
              max_minutes: float | None = None, refresh_older_than: timedelta | None = None,
              progress: bool = True, stop_event: threading.Event | None = None,
              transport: httpx.AsyncBaseTransport | None = None, reprobe: bool = False) -> CrawlResult:
    """Crawl from ``seeds`` (and whatever the frontier still holds) until done, stopped or paused.

    :param settings: API URL, credentials and ``settings.crawl`` (budget, window, concurrency, ...).
    :param writer: the open warehouse writer; every unit commits through it.
    :param seeds: ``"genre:rock,artist:ID,playlist:ID,query:WORDS"`` or a list of such strings.
    :param max_requests: stop taking new units once this many requests were sent.
    :param max_minutes: end the run after this long, even while it waits out a pause.
    :param refresh_older_than: re-fetch stored artists last fetched longer ago than this.
    :param progress: show a live display on stderr.
    :param stop_event: set it (from any thread) to end the run (see below).
    :param transport: an httpx transport for the API (tests); default real HTTP.
    :param reprobe: probe capabilities even if a probe younger than 24 h is stored.
    :raises CrawlPaused: a pause recorded by an earlier run is still in force (nothing is sent).
    :raises AuthError: the credentials were refused.

    SIGINT and SIGTERM (when called from the main thread) set ``stop_event``. It, like ``max_minutes``,
    ends the run within seconds: waits on the limiter or a pause end at once, requests already sent
    get STOP_GRACE seconds, what completed is committed and the run returns with status ``stopped``.
    A Retry-After above ``crawl.max_retry_after`` cancels everything in flight at once and returns
    status ``paused`` with ``paused_until`` = receive time + Retry-After.
    """
    stop_event = stop_event or threading.Event()

    async def main() -> CrawlResult:
        loop = asyncio.get_running_loop()
        installed = []
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, stop_event.set)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):
                    pass
        try:
            return await crawl_async(settings, writer, seeds=seeds, max_requests=max_requests,
                                     max_minutes=max_minutes, refresh_older_than=refresh_older_than,
                                     progress=progress, stop_event=stop_event, transport=transport,
                                     reprobe=reprobe)
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
