"""Fixtures shared by the crawl tests: the small synthetic catalog, its seeds and its reference crawl.

Session scope: the catalog is files nobody writes after building them, and the reference is a dict
the tests only read, so the modules that crawl the small catalog build and crawl it once per
test process.
"""

from __future__ import annotations

import pytest

from ingest.emulator.running import synthetic_catalog

from ._support import reference_crawl, top_genres

SMALL = 100  # artists in the catalog of the tests that are not about scale


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory):
    return synthetic_catalog(tmp_path_factory.getbasetemp(), artists=SMALL, seed=7)


@pytest.fixture(scope="session")
def small_seeds(small_catalog):
    return ",".join(f"genre:{g}" for g in top_genres(small_catalog, 2))


@pytest.fixture(scope="session")
def reference(small_catalog, small_seeds, tmp_path_factory):
    """An uninterrupted, fault-free, single-process DuckDB crawl of the small catalog: the silver
    hash, row counts and requests every interrupted, faulty or multi-worker crawl must match."""
    return reference_crawl(small_catalog, small_seeds, tmp_path_factory.mktemp("reference"))
