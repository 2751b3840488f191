"""One installation: configuration, the `dorfhub` command, and the processes it wires up."""

__version__ = "0.1.0"
