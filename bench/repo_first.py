"""Imported first by every benchmark script, for its side effect on `sys.path`.

Run as `bench/NAME.py`, the bench directory comes first on sys.path, and bench/sync.py and
bench/kiosk.py would hide the `sync` and `kiosk` packages. This puts the repository first and
the bench directory last, so that the packages win and bench/oplog.py stays importable.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:] = [
    str(REPO),
    *(p for p in sys.path if Path(p or ".").resolve() not in (BENCH_DIR, REPO)),
    str(BENCH_DIR),
]
