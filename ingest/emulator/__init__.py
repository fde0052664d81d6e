"""A local Spotify Web API for demos, tests and benchmarks.

- Catalogs: `build_synthetic_catalog(out_dir, artists, seed)`, `build_musicoset_catalog(data_dir, out_dir)`
  write a directory of Parquet tables plus manifest.json; `load_catalog(dir)` reads one into memory.
- Yardstick: `request_lower_bound(CatalogGraph.from_catalog(c), StoredSet(...), mode)` is the fewest
  requests that fetch a stored entity set in a mode (bench/crawl.py divides request counts by it).
- Server: `create_app(catalog, mode=..., rate=..., faults=...)` is the ASGI app; `serve(dir, port=...)`
  runs it on uvicorn bound to 127.0.0.1.
- Running: `ingest.emulator.running.running_emulator(...)` runs it in a subprocess on a free port
  (the demo, benchmarks and tests).
"""

from ._app import MODES, create_app
from ._bound import MODE_SIZES, CatalogGraph, LowerBound, StoredSet, request_lower_bound
from ._catalog import Catalog, load_catalog
from ._faults import FaultSpec, parse_faults
from ._files import TABLES, CatalogError, read_manifest
from ._limits import ServerRateLimit
from ._musicoset import build_musicoset_catalog
from ._server import serve
from ._synthetic import build_synthetic_catalog

__all__ = [
    "Catalog", "CatalogError", "CatalogGraph", "FaultSpec", "LowerBound", "MODES", "MODE_SIZES", "ServerRateLimit",
    "StoredSet", "TABLES", "build_musicoset_catalog", "build_synthetic_catalog", "create_app", "load_catalog",
    "parse_faults", "read_manifest", "request_lower_bound", "serve",
]
