"""One installation: configuration, the `dorfhub` command, and the processes wired from the parts."""
