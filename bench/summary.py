"""The issue's targets in one table, from the JSON the benchmark modules wrote.

    .venv/bin/python -m bench.summary

Each row: the target, its goal, our figure, the peer's figure in the same run (`/healthz` for
REST, a plain `websockets` server for realtime) and whether it holds. A benchmark that has not
been run yet shows "not run".
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _row(target: str, goal: str, figure: object, peer: object, holds: bool | None) -> list[str]:
    verdict = ("no target" if goal == "—" and figure is not None else
               "not run" if holds is None else ("yes" if holds else "NO"))
    return [target, goal, "—" if figure is None else str(figure), "—" if peer is None else str(peer), verdict]


def http_rows() -> list[list[str]]:
    data = _load(RESULTS / "http.json")
    if data is None:
        return [_row(t, g, None, None, None) for t, g in (
            ("topic page req/s at 50 conns", ">= 1000"), ("topic page p99 ms at 10 conns", "<= 25"),
            ("topic page / healthz req/s", ">= 0.5"), ("post create server CPU / healthz", "<= 4"),
            ("message send server CPU / healthz", "<= 4"), ("search (recent) p99 ms at 10 conns", "<= 25"))]
    return [_row(t["target"], t["goal"], t["figure"], t["peer /healthz"], t["holds"] == "yes")
            for t in data["targets"]]


def ws_rows() -> list[list[str]]:
    data = _load(HERE / "ws-results.json")
    if data is None:
        return [_row("fan-out 1,000: CPU per delivery / peer", "<= 2", None, None, None)]
    ours, peer = data["community"], data["peer (websockets)"]
    by_n = {f["sockets"]: f for f in ours["fanout"]}
    peer_by_n = {f["sockets"]: f for f in peer["fanout"]}
    rows = []
    if 1000 in by_n and 1000 in peer_by_n:
        c, p = by_n[1000], peer_by_n[1000]
        ratio = round(c["us_per_delivery"] / p["us_per_delivery"], 2)
        rows.append(_row("fan-out 1,000: µs per delivery / peer (the REST post included)", "<= 2",
                         f"{c['us_per_delivery']} µs ({ratio}x)", f"{p['us_per_delivery']} µs", ratio <= 2))
        if "us_per_delivery_alone" in c and p.get("us_per_delivery_alone", 0) > 0:
            alone = round(c["us_per_delivery_alone"] / p["us_per_delivery_alone"], 2)
            rows.append(_row("fan-out 1,000: µs per delivery alone / peer", "<= 2",
                             f"{c['us_per_delivery_alone']} µs ({alone}x)", f"{p['us_per_delivery_alone']} µs",
                             alone <= 2))
    if 1000 in by_n and 5000 in by_n:
        key = "us_per_delivery_alone" if "us_per_delivery_alone" in by_n[1000] else "us_per_delivery"
        ratio = round(by_n[5000][key] / by_n[1000][key], 2)
        peer_ratio = (round(peer_by_n[5000][key] / peer_by_n[1000][key], 2)
                      if 5000 in peer_by_n and 1000 in peer_by_n and peer_by_n[1000].get(key) else None)
        rows.append(_row(f"fan-out 5,000 / 1,000 per delivery{' alone' if key.endswith('alone') else ''}",
                         "<= 1.15", ratio, peer_ratio, ratio <= 1.15))
    idle = ours["idle"]
    rows.append(_row(f"KB per idle socket ({idle['sockets']:,})", "<= 20", idle["kb_per_socket"],
                     peer["idle"]["kb_per_socket"], idle["sockets"] >= 10_000 and idle["kb_per_socket"] <= 20))
    if "opens_per_s" in idle:
        rows.append(_row(f"sockets opened per second ({idle['sockets']:,}; server CPU ms each)", "—",
                         f"{idle['opens_per_s']} ({idle.get('open_cpu_ms')} ms)",
                         f"{peer['idle'].get('opens_per_s')} ({peer['idle'].get('open_cpu_ms')} ms)", None))
    return rows


def chat_rows() -> list[list[str]]:
    data = _load(RESULTS / "chat.json")
    if data is None:
        return [_row("chat 200 x 5 sockets x 1 msg/s: delivery p99 ms", "<= 100", None, None, None)]
    p99 = data["latency_ms"]["p99"]
    complete = data["deliveries"] == data["deliveries_expected"]
    return [_row(f"chat {data['conversations']} x {data['participants']}: delivery p99 ms", "<= 100, all delivered",
                 f"{p99} ({data['deliveries']}/{data['deliveries_expected']})", None, complete and p99 <= 100),
            _row("chat send server CPU ms/message", "<= 4x /healthz", data["server_cpu_ms_per_message"], None,
                 None if (h := _load(RESULTS / "http.json")) is None else
                 data["server_cpu_ms_per_message"] <= 4 * h["runs"]["healthz_50"]["server_cpu_ms"])]


def search_rows() -> list[list[str]]:
    data = _load(RESULTS / "search.json")
    goals = {"recent": 25.0, "relevance": 60.0}
    if data is None:
        return [_row(f"search 1M posts c=10 p99 ms ({k})", f"<= {v:g}", None, None, None) for k, v in goals.items()]
    rows = []
    for case in data.get("queries", []):
        name = str(case.get("case", ""))
        kind = next((k for k in goals if k in name), None)
        c10 = case.get("c10") if isinstance(case.get("c10"), dict) else None
        if kind and c10:
            rows.append(_row(f"search c=10 p99 ms: {name}", f"<= {goals[kind]:g}", c10["p99_ms"], None,
                             c10["p99_ms"] <= goals[kind]))
    return rows


def main() -> None:
    rows = [*http_rows(), *ws_rows(), *chat_rows(), *search_rows()]
    load = os.getloadavg()
    print(f"\nTargets (issue 12) — {os.cpu_count()} CPUs, load average now {load[0]:.2f}")
    print("| target | goal | figure | peer | holds |\n|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
