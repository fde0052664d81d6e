"""A PostgreSQL connection that answers like a DuckDB one, for the code above the warehouse.

The crawler, the upserts and the queue talk to ``con.execute(sql, params).fetchall()``,
``con.executemany``, ``con.register(name, arrow)`` and ``con.unregister(name)``. This class gives a
psycopg connection the same surface: statements are rewritten by :mod:`._pg_dialect`, a registered
Arrow table becomes a temporary table filled with ``COPY``, and an INSERT/UPDATE/DELETE answers its
row count as DuckDB does. Transactions are the caller's (``BEGIN`` … ``COMMIT``), as with DuckDB.
"""

from __future__ import annotations

from typing import Any, Sequence

import pyarrow as pa

from . import _pg_dialect as dialect

_DML = ("INSERT", "UPDATE", "DELETE")


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:****@", url)


class PgConnection:
    """A psycopg connection (autocommit; transactions via explicit BEGIN) with DuckDB's calling style."""

    backend = "postgresql"
    worker_id = ""          # set by PgWriter: the id this process leases frontier units under
    lease_seconds = 60.0

    def __init__(self, url: str):
        import psycopg

        self.url = url
        self.raw = psycopg.connect(url, autocommit=True)
        self._cur = self.raw.cursor()
        self._rows: list[tuple] | None = None
        self._registered: dict[str, list[str]] = {}
        self._column_types: dict[str, str] | None = None

    # ── statements ──
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> "PgConnection":
        sql = dialect.by_name(sql, self._columns_of)
        if params:
            self._cur.execute(dialect.placeholders(sql), list(params))
        else:
            self._cur.execute(sql)
        self._rows = None
        if self._cur.description is None and sql.lstrip().upper().startswith(_DML):
            self._rows = [(self._cur.rowcount,)]
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> "PgConnection":
        self._cur.executemany(dialect.placeholders(dialect.by_name(sql, self._columns_of)), [list(r) for r in rows])
        self._rows = None
        return self

    def fetchall(self) -> list[tuple]:
        if self._rows is not None:
            rows, self._rows = self._rows, None
            return rows
        return self._cur.fetchall() if self._cur.description is not None else []

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    @property
    def description(self):
        return self._cur.description

    def fetch_arrow_table(self) -> pa.Table:
        names = [d.name for d in self._cur.description]
        rows = self._cur.fetchall()
        return pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})

    arrow = fetch_arrow_table

    # ── Arrow tables as temporary tables ──
    def _columns_of(self, name: str) -> list[str]:
        return self._registered[name]

    def _type_by_column_name(self, column: str) -> str:
        """The type warehouse tables give a column of this name (for an all-NULL Arrow column)."""
        if self._column_types is None:
            self._cur.execute(
                "SELECT column_name, max(format_type(a.atttypid, a.atttypmod)) FROM information_schema.columns c "
                "JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_name))::regclass "
                "AND a.attname = c.column_name WHERE c.table_schema = 'public' GROUP BY column_name")
            self._column_types = dict(self._cur.fetchall())
        return self._column_types.get(column, "text")

    def register(self, name: str, data: Any, types: dict[str, str] | None = None) -> "PgConnection":
        """Make ``data`` (Arrow, or anything :func:`pyarrow.table` takes) queryable as ``name``.

        ``types``: PostgreSQL types of columns, where the Arrow type is not the one wanted."""
        if not isinstance(data, pa.Table):
            data = pa.table(data) if not hasattr(data, "to_arrow") else data.to_arrow()
        types = dict(types or {})
        cols = list(data.column_names)
        for c, t in zip(cols, data.schema.types):
            types.setdefault(c, dialect.pg_type(t) or self._type_by_column_name(c))
        self.unregister(name)
        self._cur.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{c} {types[c]}' for c in cols)})")
        self._registered[name] = cols
        if data.num_rows:
            columns = [col.to_pylist() for col in data.columns]
            with self._cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in zip(*columns):
                    copy.write_row(row)
        return self

    def unregister(self, name: str) -> "PgConnection":
        if name in self._registered:
            del self._registered[name]
            from psycopg.pq import TransactionStatus

            # In a failed transaction nothing runs; its ROLLBACK drops the table anyway.
            if self.raw.info.transaction_status != TransactionStatus.INERROR:
                self._cur.execute(f"DROP TABLE IF EXISTS {name}")
        return self

    def close(self) -> None:
        self.raw.close()
