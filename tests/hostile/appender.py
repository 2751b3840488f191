"""Another process writing to a node's store: publishes a notice every few milliseconds until it
is killed, printing the number of each notice once it is committed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from content.clock import wall_clock_ms
from content.log import Log
from content.notices import notice_body, publish
from content.store import Store
from node.home import Home

# Often enough that every `log verify` overlaps many commits, rarely enough that the log it
# verifies stays small.
PAUSE_SECONDS = 0.005


def main(home_dir: str) -> None:
    home = Home.open(Path(home_dir))
    admin = home.identity("admin.key")
    with Store(home.db_path) as store:
        log = Log(store)
        for number in range(1_000_000):
            body = notice_body(f"Aushang {number}", "Text", valid_from=wall_clock_ms())
            publish(log, admin, body)
            print(number, flush=True)
            time.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    main(sys.argv[1])
