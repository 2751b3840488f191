"""One installation: configuration, the `dorfhub` command, and the processes it wires up."""
