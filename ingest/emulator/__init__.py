"""A local Spotify Web API for demos, tests and benchmarks.

- Catalogs: `build_synthetic_catalog(out_dir, artists, seed)`, `build_musicoset_catalog(data_dir, out_dir)`
  write a directory of Parquet tables plus manifest.json; `load_catalog(dir)` reads one into memory.
- Yardstick: `request_lower_bound(CatalogGraph.from_catalog(c), StoredSet(...), mode)` is the fewest
  requests that fetch a stored entity set in a mode (bench/crawl.py divides request counts by it).
- Server: `create_app(catalog, mode=..., rate=..., faults=...)` is the ASGI app; `serve(dir, port=...)`
  runs it on uvicorn bound to 127.0.0.1; `SERVE_OPTIONS` declares its options once, for both
  `python -m ingest.emulator serve` and `genrestore emulator serve`.
- Running: `ingest.emulator.running.running_emulator(...)` runs it in a subprocess on a free port
  (the demo, benchmarks and tests).
"""

from warehouse import lazy_getattr

from ._options import MODES, REQUIRED, SERVE_OPTIONS, ServeOption, add_serve_arguments, check_serve_options

# The server's modules load on first use of one of their names. `genrestore` builds every command
# when it starts, `emulator serve` from SERVE_OPTIONS; importing the server with them (Starlette,
# Polars) added 0.7-1.1 s to every command on the loaded 2-core machine.
_LAZY = {
    "Catalog": "_catalog", "load_catalog": "_catalog",
    "FaultSpec": "_faults", "parse_faults": "_faults",
    "TABLES": "_files", "CatalogError": "_files", "read_manifest": "_files",
    "ServerRateLimit": "_limits",
    "MODE_SIZES": "_bound", "CatalogGraph": "_bound", "LowerBound": "_bound", "StoredSet": "_bound",
    "request_lower_bound": "_bound",
    "build_musicoset_catalog": "_musicoset",
    "build_synthetic_catalog": "_synthetic",
    "create_app": "_app",
    "serve": "_server",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "Catalog", "CatalogError", "CatalogGraph", "FaultSpec", "LowerBound", "MODES", "MODE_SIZES", "REQUIRED",
    "SERVE_OPTIONS", "ServeOption", "ServerRateLimit", "StoredSet", "TABLES", "add_serve_arguments",
    "build_musicoset_catalog", "build_synthetic_catalog", "check_serve_options", "create_app", "load_catalog",
    "parse_faults", "read_manifest", "request_lower_bound", "serve",
]
