"""Who may author what: the role table of ARCHITECTURE.md section 2, in one place."""

from __future__ import annotations

ROOT = "root"

ROLE_KINDS: dict[str, frozenset[str]] = {
    # network.settings: the county's shorter retention periods (content/retention.py).
    ROOT: frozenset({"key.grant", "key.revoke", "network.meta", "network.settings"}),
    "admin": frozenset(
        {
            "key.grant",
            "key.revoke",
            "notice.put",
            "notice.retract",
            "blob.put",
            "article.put",
            "article.retract",
            # Accepts or rejects a submission (content/submissions.py); an accepted one is
            # published as the admin's own notice.put beside it.
            "moderation.accept",
            # Not practice.meta: a practice's record names who receives its bookings, so only
            # the practice itself signs it (content.booking.custody). Not slot.publish or
            # slot.withdraw: changing a booked slot cancels or rejects its bookings, and a
            # rejection raises a call-back to the guides, a role an admin can grant itself;
            # which slots are booked differs by arrival order, so only the practice touches
            # its slots at all.
        }
    ),
    "server": frozenset(
        {
            # Only for requests whose id names it as the authority: see OWN_REQUESTS_ONLY.
            "booking.decision",
            "server.status",
            # Cancels bookings of withdrawn slots; raises a help request when it must reject.
            "booking.cancel",
            "help.request",
        }
    ),
    "hub": frozenset(
        {
            "hub.status",
            "sensor.rollup",
            "sensor.alert",
            "booking.request",
            # Honoured for its own requests, or with the booking code (content/booking/states.py).
            "booking.cancel",
            "help.request",
            # Only for help requests it made itself: see OWN_REQUESTS_ONLY.
            "help.update",
            "submission.put",
        }
    ),
    # notice.put and notice.retract: only the guide's own office hours (content/office_hours.py).
    # article.put and article.retract: only the guide's own articles, for the guide's groups
    # (content/articles.py); blob.put for their pictures.
    "guide": frozenset(
        {
            "help.update",
            "booking.request",
            "booking.cancel",
            "notice.put",
            "notice.retract",
            "article.put",
            "article.retract",
            "blob.put",
        }
    ),
    "practice": frozenset({"slot.publish", "slot.withdraw", "booking.cancel", "practice.meta"}),
    # A club, parish or fire brigade: submits notices for the hubs its grant's groups hold;
    # never publishes one itself (content/submissions.py).
    "editor": frozenset({"submission.put"}),
    # Official warnings imported from CAP feeds (content/warnings.py): only notices in category
    # warnung, only under ids that begin n-warn- (content/warning_bodies.py).
    "warnings": frozenset({"notice.put", "notice.retract"}),
}

GRANTABLE_ROLES = frozenset(ROLE_KINDS) - {ROOT}
KEY_KINDS = frozenset({"key.grant", "key.revoke"})
# Kinds that carry personal data: their bodies must be sealed boxes.
SEALED_KINDS = frozenset({"booking.request", "help.request", "submission.put"})
# Authors whose signed wall-clock time a hub trusts as a lower bound for "now".
TIME_AUTHORITIES = frozenset({ROOT, "admin", "server"})
KNOWN_KINDS = frozenset().union(*ROLE_KINDS.values())
# Kinds a role may author only about its own entities (content/authority.py checks the entity):
# a hub marks its own help requests done, a guide any of them; a practice writes only about itself,
# its slots and their bookings (the ids say whose they are: content/booking_ids.py); a server
# decides only the booking requests whose id names it as the practice's booking authority; a
# guide writes and retracts only notices and articles whose id names it (its office hours, its
# articles).
OWN_REQUESTS_ONLY: dict[str, frozenset[str]] = {
    "hub": frozenset({"help.update"}),
    "guide": frozenset({"notice.put", "notice.retract", "article.put", "article.retract"}),
    "server": frozenset({"booking.decision"}),
    "practice": frozenset({"practice.meta", "slot.publish", "slot.withdraw", "booking.cancel"}),
    "warnings": frozenset({"notice.put", "notice.retract"}),
}


def guide_notice_prefix(guide: str) -> str:
    """How the ids of a guide's notices begin, so that the id alone says whose notice it is."""
    return f"n-{guide}-"


def guide_article_prefix(guide: str) -> str:
    """How the ids of a guide's articles begin: no guide overwrites or retracts another's."""
    return f"a-{guide}-"


def help_request_prefix(author: str) -> str:
    """How the ids of an author's help requests begin, so that the id alone says whose it is."""
    return f"h-{author}-"
