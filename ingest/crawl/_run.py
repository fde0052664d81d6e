"""A crawl run: open it, probe, seed, run the loop (``_loop``), record how it ended.

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

import httpx

from warehouse import Writer, shared_budget
from ingest.spotify import (
    ClientStopped,
    CrawlPaused,
    SharedRateLimiter,
    SpotifyClient,
    client_hash,
    load_capabilities,
    probe_capabilities,
    save_capabilities,
)
from ingest.spotify import utcnow

from .._settings import CrawlerSettings
from . import _frontier as frontier
from . import _store as store
from ._budget import LearnedBudget, load_budget, save_budget
from ._kinds import DETAIL_KINDS, batch_sizes, seed_units
from ._loop import CrawlLoop
from ._progress import progress_path, publish_progress, snapshot, write_progress
from ._seeds import parse_seeds
from ._units import Context

log = logging.getLogger("genrestore.crawl")


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
    budget_start: float | None = None    # requests per window the run started from (after the probe)
    budget_learned: float | None = None  # ... and ended with (stored for the next run)


async def crawl_async(settings: CrawlerSettings, writer: Writer, *, seeds=None, max_requests: int | None = None,
                      max_minutes: float | None = None, refresh_older_than: timedelta | None = None,
                      progress: bool = True, stop_event: threading.Event | None = None,
                      transport: httpx.AsyncBaseTransport | None = None, reprobe: bool = False) -> CrawlResult:
    """:func:`run_crawl` for callers that already run an event loop."""
    started = time.monotonic()
    seed_list = parse_seeds(seeds)
    stop_event = stop_event or threading.Event()
    pause = writer.run(store.paused_until)
    if pause is not None:
        raise CrawlPaused(pause.until, 0.0, f"crawling is paused until {pause.until:%Y-%m-%d %H:%M:%S} UTC "
                                            f"(the API asked run {pause.run_id} to back off); not starting before then")
    # Workers sharing a PostgreSQL warehouse share one budget per client id (None with DuckDB).
    budget = shared_budget(writer, client_hash(settings.client_id or ""), settings.crawl.budget_per_window,
                           settings.crawl.window_seconds)
    limiter = None if budget is None else SharedRateLimiter(budget, settings.crawl.budget_per_window,
                                                           settings.crawl.window_seconds,
                                                           max_wait=settings.crawl.max_retry_after)
    client = SpotifyClient.from_settings(settings, transport=transport, limiter=limiter)  # no credentials: fails here
    run_id = f"crawl-{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    writer.run(lambda con: store.open_run(con, run_id, settings.api_url, ",".join(map(str, seed_list)) or None))

    result = CrawlResult(run_id, "failed")
    deadline = started + max_minutes * 60 if max_minutes is not None else None
    crawl = CrawlLoop(settings, writer, client, run_id, max_requests=max_requests, deadline=deadline,
                   stop_event=stop_event)
    display = None
    published = progress_path(writer.path)
    publisher = asyncio.create_task(publish_progress(crawl, published))
    try:
        caps = None if reprobe else writer.run(
            lambda con: load_capabilities(con, client.api_url, settings.client_id or ""))
        if caps is None:
            probe = asyncio.create_task(probe_capabilities(client))
            await crawl.supervise([probe])  # a signal or the deadline ends a probe waiting on a pause too
            if probe.cancelled() or isinstance(probe.exception(), ClientStopped):
                return _conclude(crawl, result)  # stopped during the probe (the finally records it)
            caps = probe.result()  # raises CrawlPaused, AuthError
            responses = getattr(caps, "_responses", [])

            def save_probe(con):
                save_capabilities(con, caps, client.api_url, settings.client_id or "")
                store.record_responses(con, responses, run_id, caps.source)
            writer.run(save_probe)
            log.info("probed capabilities with %d requests: mode %s", caps.probe_requests, caps.mode)
        crawl.ctx = Context(client, caps)
        crawl.sizes = batch_sizes(caps)
        if settings.crawl.budget_ramp:
            learned = writer.run(lambda con: load_budget(con, client.api_url, settings.client_id or "", caps.mode))
            if learned is not None:
                ratio = client.limiter.window / learned.window_seconds
                client.limiter.start_from(learned.per_window(client.limiter.window),
                                          learned.limit_seen * ratio if learned.limit_seen else None, learned.ramping)
                log.info("starting from the budget run %s learned: %.0f per %g s", learned.run_id,
                         client.limiter.budget, client.limiter.window)
        result.budget_start = round(client.limiter.budget, 1)
        now = utcnow()

        def seed(con):
            store.record_mode(con, run_id, caps.mode)
            frontier.enqueue(con, seed_units(seed_list), now, skip_known_artists=False)
            frontier.add_seed_tracks(con, [s.key for s in seed_list if s.kind == "track"],
                                     DETAIL_KINDS["seed_tracks"], now)
            if refresh_older_than is not None:
                frontier.requeue_stale_artists(con, now - refresh_older_than, now)
        writer.run(seed)

        if progress:
            from ._display import LiveDisplay

            display = LiveDisplay(crawl)
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
        publisher.cancel()
        await asyncio.gather(publisher, return_exceptions=True)
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

        if crawl.ctx is not None and settings.crawl.budget_ramp:
            result.budget_learned = round(client.limiter.budget, 1)

        def finish(con):
            if crawl.ctx is not None and settings.crawl.budget_ramp:
                save_budget(con, client.api_url, settings.client_id or "",
                            LearnedBudget.of(client.limiter, crawl.ctx.caps.mode, run_id))
            store.close_run(con, result)
            result.pending = frontier.pending_units(con)
        writer.run(finish)
        try:
            write_progress(published, {**snapshot(crawl, state=result.status), "message": result.message})
        except OSError:
            pass
        log.info("crawl %s %s: %d requests, %d x 429, %d units; %s", run_id, result.status, result.requests,
                 result.responses_429, result.units_done,
                 ", ".join(f"{k} {v:.1f}" for k, v in sorted(crawl.timing.items())))
    return result


def _conclude(crawl: CrawlLoop, result: CrawlResult) -> CrawlResult:
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


def run_crawl(settings: CrawlerSettings, writer: Writer, *, seeds=None, max_requests: int | None = None,
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
    get ``_loop.STOP_GRACE`` seconds, what completed is committed and the run returns with status ``stopped``.
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
