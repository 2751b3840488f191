"""What the room senses: pure parsers per serial sensor protocol, transports, the reader service
and emulators (issue 5)."""
