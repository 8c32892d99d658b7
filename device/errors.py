"""Exceptions of awareness-kit: each inherits the project base and a builtin, as gpiozero does.

Every failure the kit expects (a wrong setting, a missing device, a database it cannot use) is a KitError;
the command line turns each into one line naming what is wrong and how to fix it, and exits with status 2.
A DeviceUnavailable's message is a pattern and its values, kept apart as well, so that a page can say it in the
page's language (web/translations/*.po, msgctxt "device"; web/static/i18n.js's t() fills the values):

    exc = DeviceUnavailable("camera {name}: no such video file", name="file:clip.mp4")
    str(exc)                # "camera file:clip.mp4: no such video file"
    exc.text, exc.values    # "camera {name}: no such video file", {"name": "file:clip.mp4"}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_VALUE = re.compile(r"\{(\w+)\}")


def fill(pattern: str, values: Mapping[str, Any]) -> str:
    """*pattern* with each {name} replaced by its value; a name without a value is left as it is (as i18n.js does)."""
    return _VALUE.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], pattern)


class KitError(Exception):
    """Base of every error awareness-kit raises on purpose."""


class ConfigError(KitError, ValueError):
    """A config file, environment variable or flag holds a value the kit cannot use."""


class DeviceUnavailable(KitError, RuntimeError):
    """A camera, microphone or sensor could not be opened or is not open; the message says which and how to fix it.
    *text* is the message's pattern (English, translated as a whole), its {name}s filled from *values*: names,
    numbers and the text of an OS's or a library's error, which stay as they are in every language."""

    def __init__(self, text: str, **values: Any) -> None:
        self.text = text
        self.values = {name: str(value) for name, value in values.items()}
        super().__init__(fill(text, self.values))


class StoreError(KitError, RuntimeError):
    """The database cannot be used: written by a newer kit, not a database, or in a place the kit cannot write."""
