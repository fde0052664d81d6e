"""Crawls of the Spotify Web API into the warehouse: frontier, strategies, the crawl loop, plans.
See docs/crawler.md."""

from ._frontier import KINDS, NewUnit, Unit
from ._plan import ModeEstimate, plan_crawl
from ._run import CrawlResult, crawl_async, paused_until, run_crawl
from ._seeds import Seed, parse_seeds
from ._status import CrawlStatus, crawl_status

__all__ = [
    "CrawlResult", "CrawlStatus", "KINDS", "ModeEstimate", "NewUnit", "Seed", "Unit", "crawl_async",
    "crawl_status", "parse_seeds", "paused_until", "plan_crawl", "run_crawl",
]
