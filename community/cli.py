"""`community serve | migrate | ...` — the command line."""

from __future__ import annotations

import argparse
import errno
import gc
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable

import structlog
import trio

from community.domain.errors import CommunityError
from community.domain.tiers import TIERS
from community.logs import configure_logging
from community.settings import Settings, SettingsError, load_settings

log = structlog.get_logger("community")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="community", description="The Community platform server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (REST and websocket listeners)")
    serve.add_argument("--host", default=None, help="bind address (default $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="REST port (default $PORT or 8080)")
    serve.add_argument("--ws-port", type=int, default=None, help="websocket port (default $WEBSOCKET_PORT or 8081)")
    serve.add_argument("--workers", type=int, default=None,
                       help="server processes on the same ports (default $WORKERS, 0: one per CPU core)")
    serve.add_argument("--role", choices=["all", "http", "ws"], default=None,
                       help="which listeners to run (default $SERVE_ROLE or all)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    org = commands.add_parser("org", help="operate on an organization").add_subparsers(dest="org_command",
                                                                                       required=True)
    set_tier = org.add_parser("set-tier", help="change an org's tier and seat limit (when billing is off)")
    set_tier.add_argument("slug")
    set_tier.add_argument("tier", choices=sorted(TIERS))
    report = commands.add_parser("report", help="MRR per organization and in total, members, active members")
    report.add_argument("--json", action="store_true", help="one JSON object per organization, then the total")
    set_storage = org.add_parser("set-storage", help="an org's own storage quota in bytes ('default': its tier's)")
    set_storage.add_argument("slug")
    set_storage.add_argument("limit", help="bytes, or with a unit (500MB, 20GB, 1TB), or 'default'")
    keys = commands.add_parser("keys", help="token signing keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rotate", help="add a new signing key now; the previous ones keep verifying")
    commands.add_parser("demo-data", help="fill a new organization with realistic content and print how to sign in")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {k: v for k, v in {"host": getattr(args, "host", None), "port": getattr(args, "port", None),
                                    "websocket_port": getattr(args, "ws_port", None),
                                    "workers": getattr(args, "workers", None),
                                    "serve_role": getattr(args, "role", None)}.items() if v is not None}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"community: {exc}", file=sys.stderr)
        return 2
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    commands: dict[str, Callable[[Settings], Awaitable[int]]] = {
        "serve": _serve, "migrate": _migrate, "demo-data": _demo_data,
        "report": lambda s: _report(s, as_json=args.json),
        "org": lambda s: (_set_tier(s, args.slug, args.tier) if args.org_command == "set-tier"
                          else _set_storage(s, args.slug, args.limit)),
        "keys": _rotate_keys}
    try:
        return trio.run(commands[args.command], settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last word, as one JSON event rather than a raw traceback
        return _crashed(exc)


def _crashed(exc: BaseException) -> int:
    in_use = next((e for e in _leaves(exc) if isinstance(e, OSError) and e.errno == errno.EADDRINUSE), None)
    if in_use is not None:
        log.critical("community.port_in_use", reason=str(in_use))
    else:
        log.critical("community.crashed", exc_info=exc)
    return 1


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


async def _serve(settings: Settings) -> int:
    from community.app import run_system
    from community.processes import WorkerCrashLoopError, serve_workers, worker_count
    from community.supervisor import RestartIntensityExceeded

    count = worker_count(settings)
    if count > 1 and 0 in (settings.port, settings.websocket_port):
        print("community: --workers above 1 needs fixed ports (0 would give each worker its own)", file=sys.stderr)
        return 2
    escalated = False
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
            if count > 1:
                await nursery.start(serve_workers, settings, count)
            else:
                await nursery.start(run_system, settings)
                freeze_heap()
    except* RestartIntensityExceeded:
        escalated = True
        log.critical("community.stopped", reason="restart intensity exceeded at the root")
    except* WorkerCrashLoopError as group:
        escalated = True
        log.critical("community.stopped", reason=str(group.exceptions[0]))
    else:
        log.info("community.stopped", reason="signal")
    return 1 if escalated else 0


def freeze_heap() -> None:
    """Once the server is up, move everything alive into the collector's permanent generation
    (`gc.freeze`): the ~150,000 objects of the modules, the app and the actors are never garbage,
    yet each full collection walked them all, 100-230 ms with the process's one thread stopped,
    every couple of seconds under load -- the slow one request in a hundred of issue 18's analytics
    bench (every request over 140 ms had one inside it). Afterwards a full collection walks only
    what was made since. Garbage from the boot is collected first so none of it is kept."""
    gc.collect()
    gc.freeze()
    log.info("community.heap_frozen", objects=gc.get_freeze_count())


async def _stop_on_signal(scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("community.stopping", signal=signal.Signals(signum).name)
            scope.cancel()
            return


async def _migrate(settings: Settings) -> int:
    from community.app import open_database_url
    from community.db.migrate import migrate

    async with open_database_url(settings) as dsn:
        applied = await migrate(dsn)
    log.info("community.migrated", applied=applied)
    return 0


async def _set_tier(settings: Settings, slug: str, tier_name: str) -> int:
    from community.app import open_handles
    from community.services.orgs import check_set_tier

    async with open_handles(settings) as handles:
        try:
            org = await check_set_tier(handles.db, handles.publisher, handles.settings, slug, tier_name)
        except CommunityError as exc:
            print(f"community: {exc.detail}", file=sys.stderr)
            return 1
    limit = org["member_limit"] if org["member_limit"] is not None else "unlimited"
    print(f"{org['slug']}: tier {org['subscription_tier']}, {org['current_member_count']} of {limit} seats used")
    return 0


async def _report(settings: Settings, *, as_json: bool) -> int:
    """The seed's success metrics for whoever runs the platform: MRR, members, active members
    (anyone with activity in the last 30 days)."""
    import json

    from community.app import open_handles
    from community.services.billing import report

    async with open_handles(settings) as handles:
        rows = await report(handles.db)
    total = sum(r["mrr_cents"] for r in rows)
    if as_json:
        for r in rows:
            print(json.dumps({**r, "org_id": str(r["org_id"]), "mrr": r["mrr_cents"] / 100}))
        print(json.dumps({"total_mrr": total / 100, "organizations": len(rows),
                          "members": sum(r["members"] for r in rows)}))
        return 0
    print(f"{'organization':<30} {'tier':<13} {'status':<9} {'MRR':>10} {'members':>8} {'active':>7}")
    for r in rows:
        print(f"{r['slug'][:30]:<30} {r['tier']:<13} {r['status']:<9} {r['mrr_cents'] / 100:>10.2f} "
              f"{r['members']:>8} {r['active_members']:>7}")
    print(f"{'total':<30} {'':<13} {'':<9} {total / 100:>10.2f} {sum(r['members'] for r in rows):>8} "
          f"{sum(r['active_members'] for r in rows):>7}")
    return 0


_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


_SIZE = re.compile(r"^(\d+)\s*([KMGT]?B)?$")


def parse_size(text: str) -> int | None:
    """'default' -> None; '20GB' -> bytes (binary units). ValueError for anything else."""
    if text.strip().lower() == "default":
        return None
    match = _SIZE.match(text.strip().upper().replace("IB", "B"))
    if match is None:
        raise ValueError(f"not a size: {text!r} (bytes, or 500MB, 20GB, 1TB, or 'default')")
    return int(match.group(1)) * _UNITS[match.group(2) or ""]


async def _set_storage(settings: Settings, slug: str, limit: str) -> int:
    from community.app import open_handles
    from community.services.files import check_set_storage_limit

    try:
        limit_bytes = parse_size(limit)
    except ValueError as exc:
        print(f"community: {exc}", file=sys.stderr)
        return 2
    async with open_handles(settings) as handles:
        try:
            account = await check_set_storage_limit(handles.db, slug, limit_bytes)
        except CommunityError as exc:
            print(f"community: {exc.detail}", file=sys.stderr)
            return 1
    shown = account["limit_bytes"] if account["limit_bytes"] is not None else "the tier's quota"
    print(f"{slug}: {account['used_bytes']} bytes used of {shown}")
    return 0


async def _rotate_keys(settings: Settings) -> int:
    from community.app import open_database_url
    from community.db.migrate import migrate
    from community.db.pool import Database
    from community.identity import Identity
    from community.ratelimit import DatabaseRateLimiter

    if settings.token_signing_key:
        print("community: TOKEN_SIGNING_KEY pins the signing key; change the setting instead", file=sys.stderr)
        return 1
    async with open_database_url(settings) as dsn:
        await migrate(dsn)
        db = Database(dsn)
        identity = Identity.from_settings(settings, db, DatabaseRateLimiter(db))
        kid = await identity.rotate_keys(dsn)
    log.info("community.signing_key_rotated", kid=kid)
    return 0


async def _demo_data(settings: Settings) -> int:
    from community.app import open_handles
    from community.demo import fill_demo

    async with open_handles(settings) as handles:
        print(await fill_demo(handles, serving=await _serving(settings)))
    return 0


async def _serving(settings: Settings) -> bool:
    """Whether a Community server answers /healthz on the configured port (so demo-data says what to do next)."""
    import httpx

    from community.demo import demo_host

    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            r = await client.get(f"http://{demo_host(settings.host)}:{settings.port}/healthz")
    except httpx.HTTPError:
        return False
    return r.status_code == 200


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
