"""One run's loop: workers claim units from the frontier, fetch them and hand the outcomes to a
committer that writes them in group transactions; the loop watches the stop conditions.

Each unit's results, raw response and queue update are committed in ONE writer transaction, so a
process killed at any instant leaves the warehouse as of its last commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Sequence

from warehouse import Writer, claimed_elsewhere, release_units
from ingest.spotify import (
    AuthError,
    ClientStopped,
    CrawlPaused,
    RequestFailed,
    SpotifyClient,
    save_capabilities,
    utcnow,
)

from .._settings import CrawlerSettings
from . import _frontier as frontier
from . import _store as store
from ._budget import LearnedBudget, save_budget
from ._kinds import DETAIL_CREDIT, DETAIL_KINDS, SEED_PRIORITY, UNIT_KINDS, batch_sizes, expected_gain, sent_back
from ._store import add_counts, counts_json, merge, nonzero, observe_artists, observe_tracks
from ._units import FILL, Context, Outcome

log = logging.getLogger("genrestore.crawl")

COMMIT_INTERVAL = 1.0       # seconds between group commits at most
COMMIT_MAX_OUTCOMES = 400   # commit at once when this many outcomes wait
STOP_POLL = 0.1             # seconds between looks at the stop conditions while units run
STOP_GRACE = 5.0            # seconds requests already sent get to come back when a signal or the deadline ends a run
REORDER_EVERY = 10          # outcomes between looks at the kinds' measured gains
RESCORE_PAGES = 20          # discography pages between re-scorings of the pending discographies
GAIN_SMOOTHING = 0.3        # weight of the latest answer in a kind's moving average of new entities
ENTITY_KEYS = (("artists", "artist_id"), ("albums", "album_id"), ("albums" + FILL, "album_id"),
               ("tracks", "track_id"), ("tracks" + FILL, "track_id"), ("audio_features", "track_id"))
# Silver tables written by the crawler, in an order that keeps observations before their merge.
MERGE_ORDER = ("genres", "artists", "artist_genre_hits", "albums", "album_artists", "tracks",
               "track_artists", "audio_features", "playlists", "playlist_items")


class CrawlLoop:
    """State of one run: the client, the claims, the counters, the stop flags."""

    def __init__(self, settings: CrawlerSettings, writer: Writer, client: SpotifyClient, run_id: str, *,
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
        self.started = time.monotonic()
        self.started_wall = time.time()
        self.units_done = 0
        self.errors = 0
        self.errors_by_kind: dict[str, int] = {}  # "http 404", "TransportError", ... -> failed requests
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
        self.dropped: list[tuple[str, str]] = []  # units of dropped ready batches, leased until the next pick
        self.timing: dict[str, float] = {}  # seconds spent in picks and commits (for tuning)
        self.gains: dict[str, float] = {}  # kind -> new entities per unit (moving average)
        self.seen: dict[str, set] = {}     # entity ids this run stored (what "new" means for gains)
        self.outcomes_since_order = 0
        self.budget_saved: tuple | None = None
        self.rescored_at = 0.0  # discography pages seen when the pending discographies were last re-scored
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
    def commit(self, con, outs: Sequence[Outcome],
               rescored: dict[str, int] | None = None) -> tuple[dict[str, int], dict[str, int]]:
        """Write the outcomes of several units in one transaction (group commit); returns the rows
        it inserted and updated, by table (added to the run's totals once the transaction commits).

        Each unit's rows, raw response and queue update land together, so the all-or-nothing
        property holds per unit; grouping only amortizes the cost of a DuckDB commit.
        """
        now = utcnow()
        caps = self.ctx.caps
        store.record_responses(con, [o.response for o in outs if o.response is not None], self.run_id, caps.source)
        store.record_rejects(con, [r for o in outs for r in o.rejects], now)
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
        if rescored:  # what the discography pages so far say about the pending ones (_discographies)
            frontier.reprioritize(con, "artist_albums", rescored, below=SEED_PRIORITY)
        frontier.settle_stored_artists(con, [r["artist_id"] for r in rows.get("artists", [])], now, self.run_id)
        for kind, size in DETAIL_KINDS.items():
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
            if out.failed is not None and not sent_back(out.units[0].kind, out.capability_off):
                frontier.fail(con, out.units, out.failed, now, self.run_id, final=out.final)
        inserted, updated = nonzero(inserted), nonzero(updated)
        self._save_budget(con)
        stats = self.client.stats
        store.record_progress(con, self.run_id, requests=stats.requests, responses_429=stats.responses_429,
                              errors=self.errors, inserted=counts_json(self.inserted, inserted),
                              updated=counts_json(self.updated, updated))
        return inserted, updated

    def _save_budget(self, con) -> None:
        """Keep the budget learned so far (a killed run leaves what it learned up to its last commit)."""
        if not self.settings.crawl.budget_ramp:
            return
        learned = LearnedBudget.of(self.client.limiter, self.ctx.caps.mode, self.run_id)
        key = (round(learned.budget), learned.limit_seen, learned.ramping)
        if key != self.budget_saved:
            save_budget(con, self.client.api_url, self.settings.client_id or "", learned)
            self.budget_saved = key

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
                outs = [o for o, _ in batch]
                # Re-plan from the frontier as this commit leaves it, in the same writer call (a pick
                # of its own waits behind the commits for the writer thread): batches picked before,
                # up to 8 x concurrency (seconds of budget), would otherwise go before the work the
                # commit adds. Measured on MusicOSet in extended mode: album units piled up behind
                # discography pages picked earlier (119 album batches for 349 pages, the careful
                # peer 180 for 317).
                replan = any(o.enqueue or o.details for o in outs) and not self.should_stop()
                # A re-plan takes the pick lock: a pick queued between this one's look at what to
                # release and its release could take a unit back that the release then frees.
                async with self.pick_lock if replan else contextlib.nullcontext():
                    claimed = set(self.claimed)
                    released = self._releasable() if replan else []
                    rescored = self._rescored()
                    try:
                        t0 = time.perf_counter()
                        (inserted, updated), plan = await self.writer.run_async(
                            lambda con: (self.commit(con, outs, rescored),
                                         self._plan(con, claimed, released) if replan else None))
                        add_counts(self.inserted, inserted)
                        add_counts(self.updated, updated)
                        self.timing["commit"] = self.timing.get("commit", 0) + time.perf_counter() - t0
                        self.timing["commits"] = self.timing.get("commits", 0) + 1
                    except BaseException as exc:  # the units stay pending; the run stops
                        for _, fut in batch:
                            if not fut.done():
                                fut.set_exception(exc)
                    else:
                        if plan is not None:
                            self._install(plan)
                        for _, fut in batch:
                            if not fut.done():
                                fut.set_result(None)
            if self.commit_closed and not self.commit_queue:
                return

    def _rescored(self) -> dict[str, int] | None:
        """New priorities for the discographies, every RESCORE_PAGES pages (made here, in the event
        loop that updates the statistics, not in the writer thread)."""
        pages = self.ctx.discographies.total[1]
        if pages - self.rescored_at < RESCORE_PAGES:
            return None
        self.rescored_at = pages
        return self.ctx.discographies.priorities()

    def _plan(self, con, claimed: set[tuple[str, str]], released: list[tuple[str, str]], *,
              partial: bool = False):
        """Batches of the best kinds (full ones unless ``partial``), from ``con``'s frontier (units in
        ``claimed`` are in flight), after giving back the ``released`` leases."""
        release_units(con, released)
        return frontier.pick(con, self.sizes, claimed, allow_partial=partial,
                             max_batches=8 * self.settings.crawl.concurrency)

    def _install(self, plan) -> None:
        """Fetch from a plan made beside a commit, not the older one; keep the older when the new one
        is empty (partial batches wait for a pick with nothing in flight)."""
        batches, self.pending = plan
        # Units taken from the older plan while this one was made are in flight now: not twice.
        fresh = [b for b in batches if not any(u.ident in self.claimed for u in b)]
        kept = {u.ident for b in fresh for u in b}
        # What is set aside stays leased to this worker until the next release gives it back.
        self.dropped += [u.ident for b in batches for u in b if u.ident not in kept]
        if fresh:
            self.dropped += [u.ident for b in self.ready for u in b if u.ident not in kept]
            self.ready = fresh
            self.changed.set()

    def _releasable(self) -> list[tuple[str, str]]:
        """The dropped units to give back now, in the writer call that picks next: not those in flight
        or picked again since (a release must never free a unit this worker is about to fetch)."""
        keep = self.claimed | {u.ident for b in self.ready for u in b}
        out = [i for i in self.dropped if i not in keep]
        self.dropped = []
        return out

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
                    released = self._releasable()
                    t0 = time.perf_counter()
                    self.ready, self.pending = await self.writer.run_async(
                        lambda con: self._plan(con, claimed, released, partial=partial))
                    self.timing["pick"] = self.timing.get("pick", 0) + time.perf_counter() - t0
                    self.timing["picks"] = self.timing.get("picks", 0) + 1
                    if not self.ready and partial and self.in_flight == 0:
                        # Nothing pending, nothing in flight here; and unless other workers still hold
                        # units (which may add work), the frontier is exhausted.
                        if not await self.writer.run_async(claimed_elsewhere):
                            return None
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
            self._drop_ready()  # re-plan: partial batches may go now
        self.changed.set()

    def _drop_ready(self) -> None:
        """Forget the batches picked and not sent: the next pick plans anew. Their units' leases are
        given back in that pick's transaction, before it picks (it may take some again), so other
        workers can take those this worker no longer picks. Released there rather than here: this
        runs outside the writer, and a release ordered after the next pick would free its claims."""
        self.dropped += [u.ident for batch in self.ready for u in batch]
        self.ready = []

    def _committed(self, fut: asyncio.Future, units: list[frontier.Unit]) -> None:
        if not fut.cancelled() and fut.exception() is not None:
            self.fatal = self.fatal or fut.exception()
        self._release(units)

    def _new_entities(self, kind: str, out: Outcome) -> float:
        """Entities the outcome stores that this run had not seen (details of seen ones: DETAIL_CREDIT)."""
        new = 0.0
        for table, key in ENTITY_KEYS:
            seen = self.seen.setdefault(key, set())
            for row in out.rows.get(table, ()):
                ident = row.get(key)
                if table == "audio_features" or ident not in seen:
                    seen.add(ident)
                    new += 1
                else:
                    new += DETAIL_CREDIT if table in ("tracks", "albums") else 0
        return new

    def _learn_gain(self, kind: str, out: Outcome) -> None:
        """Average new entities per unit of each kind (moving); re-order the kinds when they change."""
        per_unit = self._new_entities(kind, out) / max(1, len(out.units))
        before = self.gains.get(kind)
        self.gains[kind] = per_unit if before is None else before + GAIN_SMOOTHING * (per_unit - before)
        self.outcomes_since_order += 1
        if self.outcomes_since_order >= REORDER_EVERY:
            self.outcomes_since_order = 0
            sizes = batch_sizes(self.ctx.caps, self.gains)
            if list(sizes) != list(self.sizes):
                log.info("kinds by expected new entities per request: %s", ", ".join(
                    f"{k} {expected_gain(k, self.ctx.caps, n, self.gains):.1f}" for k, n in sizes.items()))
                self.sizes = sizes
                self._drop_ready()

    async def _fetch(self, units: list[frontier.Unit]) -> Outcome | None:
        kind = units[0].kind
        try:
            out = await UNIT_KINDS[kind].handler(units, self.ctx)
        except CrawlPaused as exc:
            self.paused = self.paused or exc
            return None
        except ClientStopped:  # the run is ending: the unit stays pending
            return None
        except AuthError as exc:
            self.fatal = self.fatal or exc
            return None
        except RequestFailed as exc:
            out = Outcome(units, failed=str(exc), final=False, error_kind=type(exc).__name__)
        if out.failed is not None:
            self.errors += 1
            kind = out.error_kind or "other"
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
        else:
            self.units_done += len(units) - len(out.missing)
            self._learn_gain(kind, out)
        if out.capability_off and getattr(self.ctx.caps, out.capability_off):
            log.warning("capability %s is off for these credentials (%s)", out.capability_off, out.failed)
            setattr(self.ctx.caps, out.capability_off, False)  # at once: no other request may use it
            self.caps_changes += 1
            self.sizes = batch_sizes(self.ctx.caps)
            self._drop_ready()
        for name, value in out.evidence.items():
            before = getattr(self.ctx.caps, name)
            if self.ctx.caps.learn(name, value):
                log.log(logging.WARNING if before is False else logging.INFO,
                        "capability %s was %s, a response shows %s: updated", name, before, value)
                self.caps_changes += 1
        return out
