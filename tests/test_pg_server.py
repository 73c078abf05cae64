"""The throwaway PostgreSQL server used by the warehouse tests really works."""

from __future__ import annotations

import socket
import time

import pytest
from pg_server import PostgresServer, find_pg_bin, start_postgres
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.postgres

CHINESE = "大同市通用航空产教联合体"


def test_find_pg_bin_has_server_binaries():
    bin_dir = find_pg_bin()
    for name in ("initdb", "pg_ctl", "postgres"):
        assert (bin_dir / name).exists(), name


def test_start_query_create_database_and_stop():
    t0 = time.monotonic()
    server = start_postgres()
    startup_s = time.monotonic() - t0
    print(f"\nPostgreSQL start-up took {startup_s:.2f} s")
    try:
        assert isinstance(server, PostgresServer)
        assert server.url == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres"
        assert server.data_dir.is_dir()

        engine = create_engine(server.url)
        try:
            with engine.connect() as conn:
                version = conn.execute(text("select version()")).scalar_one()
                assert "PostgreSQL" in version
                assert conn.execute(text("show server_encoding")).scalar_one() == "UTF8"
        finally:
            engine.dispose()

        db_url = server.create_database("warehouse_test")
        assert db_url == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/warehouse_test"

        engine = create_engine(db_url)
        try:
            with engine.begin() as conn:
                assert conn.execute(text("select current_database()")).scalar_one() == "warehouse_test"
                conn.execute(text("create table consortium (id integer primary key, name text not null)"))
                conn.execute(text("insert into consortium (id, name) values (1, :name)"), {"name": CHINESE})
            with engine.connect() as conn:
                name = conn.execute(text("select name from consortium where id = 1")).scalar_one()
                assert name == CHINESE
                assert (
                    conn.execute(
                        text("select count(*) from consortium where name = :name"), {"name": CHINESE}
                    ).scalar_one()
                    == 1
                )
        finally:
            engine.dispose()
    finally:
        server.stop()

    assert not server.data_dir.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
    server.stop()  # idempotent
