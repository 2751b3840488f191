"""What the network knows: the signed operation log, identities and roles, sealed bodies, and the
views built from the log. SQLite through the standard sqlite3 module on one connection per
Store (sqlite-utils on the same connection for inspection: Store.db); no network, no screen."""
