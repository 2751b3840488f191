"""What the network knows: the signed operation log, identities and roles, sealed bodies, and the
views built from the log. SQLite through sqlite-utils; no network, no screen."""
