"""`make bench`: run every benchmark module in turn (`python -m bench [name ...]`).

Each module (rest, ws, search, chat) is a script that writes its JSON under
bench/results/ and prints its own table; this runner only sequences them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ORDER = ["rest", "ws", "search", "chat", "web"]


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or [n for n in ORDER if (here / f"{n}.py").exists()]
    failed = []
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
