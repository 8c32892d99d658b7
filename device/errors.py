"""Exceptions of awareness-kit: each inherits the project base and a builtin, as gpiozero does.

Every failure the kit expects (a wrong setting, a missing device, a database it cannot use) is a KitError;
the command line turns each into one line naming what is wrong and how to fix it, and exits with status 2.
"""

from __future__ import annotations


class KitError(Exception):
    """Base of every error awareness-kit raises on purpose."""


class ConfigError(KitError, ValueError):
    """A config file, environment variable or flag holds a value the kit cannot use."""


class DeviceUnavailable(KitError, RuntimeError):
    """A camera, microphone or sensor could not be opened or is not open; the message says which and how to fix it."""


class StoreError(KitError, RuntimeError):
    """The database cannot be used: written by a newer kit, not a database, or in a place the kit cannot write."""
