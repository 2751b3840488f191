"""A writer process for the kill -9 test: appends notices to a store until it is killed."""

from __future__ import annotations

import sys
from pathlib import Path

from content.clock import wall_clock_ms
from content.log import Log
from content.notices import notice_body, publish
from content.store import Store
from node.home import Home


def main(home_dir: str) -> None:
    home = Home.open(Path(home_dir))
    admin = home.identity("admin.key")
    with Store(home.db_path) as store:
        log = Log(store)
        for number in range(1_000_000):
            body = notice_body(
                f"Aushang {number}",
                "Dieser Aushang wird geschrieben, während der Prozess getötet wird. " * 20,
                valid_from=wall_clock_ms(),
            )
            publish(log, admin, body)
            print(number, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
