"""The sync layer's errors, in a module without imports so that the `dorfhub` command can name
them without loading requests, zstandard and the protocol (sync.client and sync.enrollment
re-export them where they were defined first)."""

from __future__ import annotations

from content.errors import ContentError


class PeerError(ContentError):
    """The peer cannot be synced with: unreachable, refusing, or of another network."""


class EnrollmentError(ContentError):
    """An approval that cannot be carried out (unknown code, already approved)."""
