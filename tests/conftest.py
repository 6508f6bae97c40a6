"""One PostgreSQL per test session; a fresh database per test cloned from a migrated template."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import trio

from community.app import System, run_system
from community.db.migrate import migrate
from community.db.pool import close, connect
from community.identity import LocalKeys
from community.logs import configure_logging
from community.settings import Settings
from tests.dns_server import DnsServer, dns_server
from tests.factories import Factory, Personas, build_personas, open_factory
from tests.tls import TLS

TEMPLATE = "community_template"

# pytest keeps the three newest `pytest-N` folders under one temp root per user and deletes older
# ones, even while another run still uses them: two checkouts testing at once (or a helper and a
# full run) then delete each other's embedded PostgreSQL mid-run ("connection refused" everywhere).
# Each checkout gets its own root; short, since PostgreSQL's socket lives inside it (107 bytes).
_CHECKOUT = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", os.path.join(tempfile.gettempdir(), f"community-{_CHECKOUT}"))
os.makedirs(os.environ["PYTEST_DEBUG_TEMPROOT"], exist_ok=True)
configure_logging(fmt="console", level="info")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server: `DATABASE_URL` if set, else an embedded one for the session."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    import pgserver

    memory = _in_memory_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(memory or tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    url = str(server.get_uri())
    trio.run(_admin, url, *_THROWAWAY)
    try:
        yield url
    finally:
        server.cleanup()
        if memory is not None:
            shutil.rmtree(memory, ignore_errors=True)


def _in_memory_dir() -> Path | None:
    """A directory in /dev/shm (tmpfs) for the session's throwaway server, where there is one.

    Each test's CREATE DATABASE copies the template's ~2,000 files and DROP unlinks them: on this
    box's ext4 that was 0.3-0.5 s of kernel time a test (perf: openat, unlink, ext4 directory
    lookups), on tmpfs 0.02 s. The databases are dropped as their tests end, so it stays small;
    a small /dev/shm (a container's 64 MB default) is passed over for the temporary directory."""
    shm = Path("/dev/shm")  # noqa: S108 - only as mkdtemp's parent (a new 0700 directory of a random name)
    if not (shm.is_dir() and os.access(shm, os.W_OK)) or shutil.disk_usage(shm).free < 2 << 30:
        return None
    return Path(tempfile.mkdtemp(prefix="community-test-pg-", dir=shm))


# The session's own embedded server holds only throwaway test databases: no fsync or full-page
# writes, and commits that do not wait for their WAL flush. The fault tests' servers (tests/faults)
# keep the defaults: they stop PostgreSQL and count acknowledged writes.
_THROWAWAY = ("ALTER SYSTEM SET fsync = off", "ALTER SYSTEM SET full_page_writes = off",
              "ALTER SYSTEM SET synchronous_commit = off", "SELECT pg_reload_conf()")


async def _admin(pg_url: str, *statements: str) -> None:
    conn = await connect(with_database(pg_url, "postgres"))
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await close(conn)


@pytest.fixture(scope="session")
def template_url(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    async def build() -> None:
        await _admin(pg_url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)",
                     f"CREATE DATABASE {TEMPLATE}")
        await migrate(with_database(pg_url, TEMPLATE))
        # One signing key in the template: every test database starts with it (no key per test).
        await LocalKeys().load(with_database(pg_url, TEMPLATE), data_dir=Path(tmp_path_factory.getbasetemp()),
                               rotate_after=timedelta(days=30), keep_for=timedelta(days=31))

    trio.run(build)
    return with_database(pg_url, TEMPLATE)


@pytest.fixture
async def database_url(pg_url: str, template_url: str) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    # FILE_COPY: with fsync off its checkpoint is cheap, and copying the files beats WAL-logging
    # every block (30-40 ms a database against 125-140 ms).
    await _admin(pg_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
    try:
        yield with_database(pg_url, name)
    finally:
        with trio.CancelScope(shield=True):
            await _admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the tests' servers, so the signing key is generated once per session."""
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def dns() -> Iterator[DnsServer]:
    """A loopback DNS server every test server resolves TXT records with; tests add to `records`."""
    with dns_server() as server:
        yield server


@pytest.fixture
def settings(database_url: str, data_dir: Path, dns: DnsServer) -> Settings:
    return Settings(database_url=database_url, host="127.0.0.1", port=0, websocket_port=0,
                    dns_resolver=dns.address, dns_timeout_seconds=2.0,
                    community_data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=1024,
                    log_format="console", log_level="warning",
                    db_pool_min=1, db_pool_max=5, db_warm_up=False, validate_responses=True, search_per_minute=10_000,
                    web_dist_dir=Path(__file__).parent / "data" / "web_dist", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[System]:
    async with trio.open_nursery() as nursery:
        rt: System = await nursery.start(run_system, settings)
        yield rt
        nursery.cancel_scope.cancel()


@pytest.fixture
async def second_node(settings: Settings, tmp_path: Path, runtime: System) -> AsyncIterator[System]:
    """Another process's worth of handles and tree on the same database, with its own (empty) data
    directory: a second node."""
    other = settings.model_copy(update={"community_data_dir": tmp_path / "node-b"})
    async with trio.open_nursery() as nursery:
        node: System = await nursery.start(run_system, other)
        yield node
        nursery.cancel_scope.cancel()


@pytest.fixture
async def client(runtime: System) -> AsyncIterator[httpx.AsyncClient]:
    # verify=TLS here and in the other tests' clients: plain HTTP on loopback, and loading the CA
    # bundle for a TLS context nobody uses cost 35-150 ms a client.
    async with httpx.AsyncClient(verify=TLS, base_url=f"http://127.0.0.1:{runtime.http_port}", timeout=10) as c:
        yield c


@pytest.fixture
async def factory(runtime: System, database_url: str) -> AsyncIterator[Factory]:
    made, conn = await open_factory(runtime, database_url)
    try:
        yield made
    finally:
        await close(conn)


@pytest.fixture
async def personas(factory: Factory) -> Personas:
    return await build_personas(factory)


# The long tests (a browser, a fuzzer, the fault and chaos runs, whole processes) go first, so with
# `make test`'s `--dist worksteal` the last minutes are short tests that the two workers share
# out, not one worker finishing a 50 s walk while the other waits. Modules stay whole and in order.
_LONG_FIRST = ("tests/web/", "tests/faults/", "tests/hardening/test_fuzz.py", "tests/realtime/test_chaos.py",
               "tests/realtime/test_abuse.py", "tests/test_boot.py", "tests/hardening/test_deploy.py",
               "tests/test_matrix.py", "tests/resources/test_cli_storage.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, prefix in enumerate(_LONG_FIRST) if path.startswith(prefix)), len(_LONG_FIRST))
    items.sort(key=rank)
