"""`make bench`: run every benchmark module in turn (`python -m bench [name ...]`).

Each module (http, ws, search, chat; `rest` is the older httpx-driven REST run) is a script
that writes its JSON under bench/results/ and prints its own table; this runner sequences
them, then prints every target with the figure and the peer's figure (`bench/summary.py`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ORDER = ["http", "ws", "search", "chat", "web", "analytics"]


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or [n for n in ORDER if (here / f"{n}.py").exists()]
    failed = []
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0:
            failed.append(name)
    from bench.summary import main as summary

    summary()
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
