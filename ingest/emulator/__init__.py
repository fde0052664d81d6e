"""A local Spotify Web API for demos, tests and benchmarks.

- Catalogs: `build_synthetic_catalog(out_dir, artists, seed)`, `build_musicoset_catalog(data_dir, out_dir)`
  write a directory of Parquet tables plus manifest.json; `load_catalog(dir)` reads one into memory.
- Server: `create_app(catalog, mode=..., rate=..., faults=...)` is the ASGI app; `serve(dir, port=...)`
  runs it on uvicorn bound to 127.0.0.1; `SERVE_OPTIONS` declares its options once, for both
  `python -m ingest.emulator serve` and `genrestore emulator serve`.
- Running: `ingest.emulator.running.running_emulator(...)` runs it in a subprocess on a free port
  (the demo, benchmarks and tests).
"""

from ._app import MODES, create_app
from ._catalog import Catalog, load_catalog
from ._faults import FaultSpec, parse_faults
from ._files import TABLES, CatalogError, read_manifest
from ._limits import ServerRateLimit
from ._musicoset import build_musicoset_catalog
from ._options import REQUIRED, SERVE_OPTIONS, ServeOption, add_serve_arguments, check_serve_options
from ._server import serve
from ._synthetic import build_synthetic_catalog

__all__ = [
    "Catalog", "CatalogError", "FaultSpec", "MODES", "REQUIRED", "SERVE_OPTIONS", "ServeOption", "ServerRateLimit",
    "TABLES", "add_serve_arguments", "build_musicoset_catalog", "build_synthetic_catalog", "check_serve_options",
    "create_app", "load_catalog", "parse_faults", "read_manifest", "serve",
]
