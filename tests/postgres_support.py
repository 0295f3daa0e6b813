"""The PostgreSQL server of the suite (scripts/postgres.sh exports its settings): connection
settings, connections, and statements on the server's maintenance database."""

from __future__ import annotations

import os
from typing import Any


def pg_settings() -> dict[str, str]:
    """The server's settings; without OPENAI_FINOPS_PG_HOST an error, so a missing server is never a pass."""
    host = os.environ.get("OPENAI_FINOPS_PG_HOST")
    if not host:
        raise RuntimeError(
            "OPENAI_FINOPS_PG_HOST is not set: run scripts/test_postgres.sh, which starts PostgreSQL "
            'and exports its settings (or `eval "$(scripts/postgres.sh start)"`)'
        )
    return {
        "host": host,
        "port": os.environ.get("OPENAI_FINOPS_PG_PORT", "55432"),
        "user": os.environ.get("OPENAI_FINOPS_PG_USER", "postgres"),
        "password": os.environ.get("OPENAI_FINOPS_PG_PASSWORD", ""),
    }


def pg_connect(pg: dict[str, str], database: str) -> Any:
    import psycopg2

    return psycopg2.connect(
        host=pg["host"], port=int(pg["port"]), user=pg["user"], password=pg["password"], dbname=database
    )


def pg_admin(pg: dict[str, str], *statements: str) -> None:
    """Run statements (create or drop a database) outside a transaction."""
    con = pg_connect(pg, "postgres")
    con.autocommit = True
    try:
        with con.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        con.close()
