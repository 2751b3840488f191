"""The hub daemon's part in forgetting help requests: after every sync round it erases the keys
of the requests made at this hub that the hub may no longer read (done, or older than
content.help_hub_keys.HUB_READ_DAYS). A round follows every commit (the kiosk's "Erledigt", a
guide's update pulled in) and the status op every ten minutes, so nothing waits long.
"""

from __future__ import annotations

import logging

from content.clock import trusted_now
from content.help_hub_keys import erase_spent_keys
from content.store import Store

log = logging.getLogger("dorfhub.help")


def erase_spent_help_keys(store: Store) -> None:
    # Trusted now: a hub whose clock fell back to 2001 still counts the days from the newest
    # time the server or an admin signed.
    erasure = erase_spent_keys(store, trusted_now(store.conn).now_ms)
    if erasure is None:
        return
    fields = {"erased": erasure.erased, "wal_truncated": erasure.wal_truncated}
    if erasure.wal_truncated:
        log.info("help request keys erased", extra={"fields": fields})
    else:
        log.warning(
            "help request keys erased, but a reader kept the WAL: truncating after the next round",
            extra={"fields": fields},
        )
