"""Every error the library defines for a person to act on derives from content.errors.ContentError,
so the CLI, the desk and the kiosk catch it once (issue 18)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import content
from content.errors import ContentError

# Errors that are not said to a person: none so far. A class named here must say why.
NOT_FOR_PEOPLE: set[str] = set()


def _error_classes() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.iter_modules(content.__path__, "content."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found.append(value)
    return found


def test_the_librarys_errors_derive_from_content_error() -> None:
    classes = _error_classes()
    assert len(classes) >= 10  # the scan finds them
    strays = [
        f"{c.__module__}.{c.__name__}"
        for c in classes
        if not issubclass(c, ContentError) and c.__name__ not in NOT_FOR_PEOPLE
    ]
    assert strays == []
