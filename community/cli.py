"""`community serve | migrate | ...` — the command line."""

from __future__ import annotations

import argparse
import os
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
    commands.add_parser("migrate", help="apply database migrations and exit")
    org = commands.add_parser("org", help="operate on an organization").add_subparsers(dest="org_command",
                                                                                       required=True)
    set_tier = org.add_parser("set-tier", help="change an org's tier and seat limit (when billing is off)")
    set_tier.add_argument("slug")
    set_tier.add_argument("tier", choices=sorted(TIERS))
    commands.add_parser("demo-data", help="fill a new organization with realistic content and print how to sign in")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {k: v for k, v in {"host": getattr(args, "host", None), "port": getattr(args, "port", None),
                                    "websocket_port": getattr(args, "ws_port", None)}.items() if v is not None}
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"community: {exc}", file=sys.stderr)
        return 2
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    commands: dict[str, Callable[[Settings], Awaitable[int]]] = {
        "serve": _serve, "migrate": _migrate, "demo-data": _demo_data,
        "org": lambda s: _set_tier(s, args.slug, args.tier)}
    return trio.run(commands[args.command], settings)


async def _serve(settings: Settings) -> int:
    from community.app import run_system
    from community.supervisor import RestartIntensityExceeded

    escalated = False
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stop_on_signal, nursery.cancel_scope)
            await nursery.start(run_system, settings)
    except* RestartIntensityExceeded:
        escalated = True
        log.critical("community.stopped", reason="restart intensity exceeded at the root")
    else:
        log.info("community.stopped", reason="signal")
    return 1 if escalated else 0


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
    from community.services.orgs import do_set_tier

    async with open_handles(settings) as handles:
        try:
            org = await do_set_tier(handles.db, handles.settings, slug, tier_name)
        except CommunityError as exc:
            print(f"community: {exc.detail}", file=sys.stderr)
            return 1
    limit = org["member_limit"] if org["member_limit"] is not None else "unlimited"
    print(f"{org['slug']}: tier {org['subscription_tier']}, {org['current_member_count']} of {limit} seats used")
    return 0


async def _demo_data(settings: Settings) -> int:
    from community.app import open_handles
    from community.demo import fill_demo

    async with open_handles(settings) as handles:
        print(await fill_demo(handles))
    return 0


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
