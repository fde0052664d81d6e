"""Crawls of the Spotify Web API into the warehouse: frontier, strategies, the crawl loop, plans.
See docs/crawler.md."""

from .._settings import CrawlerSettings, CrawlSettings
from ._budget import LearnedBudget, learned_budgets
from ._fleet import run_fleet
from ._frontier import NewUnit, Unit
from ._history import CrawlRunRow, crawl_runs_between, queue_by_state
from ._kinds import KINDS, UNIT_KINDS, UnitKind
from ._plan import ModeEstimate, plan_crawl
from ._progress import format_eta, progress_path, read_progress
from ._run import CrawlResult, crawl_async, run_crawl
from ._seeds import Seed, parse_seeds
from ._status import CrawlStatus, crawl_status
from ._store import Pause, paused_until

__all__ = [
    "CrawlResult", "CrawlRunRow", "CrawlSettings", "CrawlStatus", "CrawlerSettings", "KINDS", "LearnedBudget",
    "ModeEstimate", "NewUnit", "Pause", "Seed", "UNIT_KINDS", "Unit", "UnitKind", "crawl_async",
    "crawl_runs_between", "crawl_status", "format_eta", "learned_budgets", "parse_seeds", "paused_until",
    "plan_crawl", "progress_path", "queue_by_state", "read_progress", "run_crawl", "run_fleet",
]
