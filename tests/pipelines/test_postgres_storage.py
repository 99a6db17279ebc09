"""Dagster's run and event storage in Postgres (config/dagster-postgres.yaml), against a throwaway
Postgres server this test starts on a free local port and stops again.

Needs Debian's `postgresql` (initdb, pg_ctl; `.ci/run` installs it). Postgres refuses to run as
root, so as root the server runs as the `postgres` system user in a folder it owns.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from prodseg.settings import REPO_ROOT
from tests.pipelines.tiny import DG, free_port, make_dagster_home, outdated_lines, tiny_env


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)), None)
    return Path(found).resolve().parent if found and (Path(found).parent / "initdb").exists() else None


def _server_user() -> str | None:
    """Who runs the server: ourselves, or as root the `postgres` user (None: nobody can)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return "postgres" if shutil.which("runuser") else None


PG_BIN, SERVER_USER = _pg_bin(), _server_user()
pytestmark = [
    pytest.mark.skipif(PG_BIN is None, reason="needs Debian's postgresql (initdb, pg_ctl): `sudo apt-get install postgresql` (make test installs it when run as root)"),
    pytest.mark.skipif(SERVER_USER is None, reason="running as root without a `postgres` user and runuser to run the server as"),
]


def as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *args] if os.geteuid() == 0 else args


@pytest.fixture
def postgres():
    """A Postgres server on 127.0.0.1:<free port> with a password-protected `dagster` role and database."""
    # Not pytest's tmp_path: its parents are private to root, and the server user must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="prodseg-pg-"))
    data, password = root / "data", "test-password"
    (root / "pwfile").write_text(password + "\n")
    user = pwd.getpwnam(SERVER_USER)
    for path in (root, root / "pwfile"):
        os.chown(path, user.pw_uid, user.pw_gid)
    port = free_port()

    def run(args: list[str]) -> None:
        subprocess.run(as_server_user(args), check=True, capture_output=True, text=True, timeout=120)

    try:
        run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "dagster", f"--pwfile={root / 'pwfile'}",
             "--auth=scram-sha-256", "-E", "UTF8"])
        run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "start",
             "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1"])
        try:
            pg = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_USER": "dagster",
                  "DAGSTER_PG_PASSWORD": password, "DAGSTER_PG_DB": "dagster"}
            query({**pg, "DAGSTER_PG_DB": "postgres"}, "CREATE DATABASE dagster")
            yield pg
        finally:
            run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def query(pg: dict, sql: str) -> list[tuple] | None:
    import psycopg2  # dagster-postgres's driver

    conn = psycopg2.connect(host=pg["DAGSTER_PG_HOST"], port=int(pg["DAGSTER_PG_PORT"]), user=pg["DAGSTER_PG_USER"],
                            password=pg["DAGSTER_PG_PASSWORD"], dbname=pg["DAGSTER_PG_DB"])
    conn.autocommit = True  # CREATE DATABASE refuses to run in a transaction
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else None
    finally:
        conn.close()


@pytest.mark.slow
def test_a_materialization_is_stored_in_postgres(tmp_path, postgres, monkeypatch):
    home = make_dagster_home(tmp_path / "dagster_home", "dagster-postgres.yaml")
    # Dagster's default executor (a process per step), unlike the in-process runs of the graph test.
    env = {**tiny_env(tmp_path, home), "PRODSEG__SHOP__PRODUCTS": "4", **postgres}
    proc = subprocess.run([str(DG), "launch", "--assets", "raw_catalog"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # `make demo`'s executor (a process per step): neither dg nor the step processes say superseded/deprecated.
    assert not outdated_lines(proc.stdout + proc.stderr), outdated_lines(proc.stdout + proc.stderr)

    # Read back through the instance config (its env vars included), then straight from Postgres.
    for name, value in postgres.items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        (run,) = instance.get_runs()
        event = instance.get_latest_materialization_event(dg.AssetKey("raw_catalog"))
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert event.asset_materialization.metadata["products"].value == 4
    assert query(postgres, "SELECT run_id, status FROM runs") == [(run.run_id, "SUCCESS")]
    (materializations,) = query(postgres, "SELECT count(*) FROM event_logs WHERE dagster_event_type = "
                                          "'ASSET_MATERIALIZATION' AND asset_key = '[\"raw_catalog\"]'")
    assert materializations == (1,)
    # DAGSTER_HOME keeps only the step logs (compute logs): no sqlite run, event or schedule database.
    assert not list(home.rglob("*.db")), "sqlite storage was used too"
