"""Exceptions of awareness-kit: each inherits the project base and a builtin, as gpiozero does."""

from __future__ import annotations


class KitError(Exception):
    """Base of every error awareness-kit raises on purpose."""


class ConfigError(KitError, ValueError):
    """A config file, environment variable or flag holds a value the kit cannot use."""


class DeviceUnavailable(KitError, RuntimeError):
    """A camera, microphone or sensor could not be opened; the message says which and how to fix it."""
