"""What an official warning carries beyond a notice, and the rule for the `warnings` role.

A warning imported from a CAP 1.2 message (content/cap.py, content/warnings.py) is a notice in
category `warnung` whose body also names where it came from (`Official`): the kiosk shows it as
"Amtliche Warnung – Quelle: DWD" with the time the authority issued it and until when, but only
for notices signed by a key that holds the `warnings` role (the signer's role makes it official,
not the claim in the body). The `warnings` role may author nothing else: `warning_problem` is
checked by content/authority.py on every node as it applies the op.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

# Every warning's notice id begins so: the id alone says the `warnings` role may touch it, so a
# warnings key can neither overwrite nor retract an admin's or a guide's notice.
WARNING_PREFIX = "n-warn-"
WARNING_CATEGORY = "warnung"
# CAP identifiers this warning has been published under (an Update has a new one each time): a
# message seen again, also after a restart, is recognised by them and not published twice.
MAX_IDENTIFIERS = 32
MAX_IDENTIFIER_CHARS = 300

Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_IDENTIFIER_CHARS)]


class Official(msgspec.Struct, forbid_unknown_fields=True):
    """Where an official warning came from. `source`: the short name the kiosk shows ("DWD");
    `sent`: when the authority issued this version (CAP `sent`); `onset`: when the hazard
    begins, if it said so; `drill`: a CAP Exercise or Test, shown only on networks configured
    for drills."""

    source: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    sent: Annotated[int, msgspec.Meta(ge=0, le=2**53)]
    identifiers: Annotated[list[Identifier], msgspec.Meta(min_length=1, max_length=MAX_IDENTIFIERS)]
    onset: Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None = None
    drill: bool = False


def warning_problem(notice: Any) -> str | None:
    """Why a `warnings` key may not publish this notice body (None: it may). Only warnings:
    category `warnung`, the official source named, at least one hub or group targeted (a
    warning for an area no hub covers is never sent to all), no attachments."""
    if notice.category != WARNING_CATEGORY:
        return f"a warnings key publishes only category {WARNING_CATEGORY}"
    if notice.official is None:
        return "a warnings key's notice names its official source"
    if not notice.targets.hubs and not notice.targets.groups:
        return "a warnings key's notice names the hubs or groups it is for, never all"
    if notice.attachments:
        return "a warnings key's notice has no attachments"
    return None
