"""Who is asking: the device's own screen (the kiosk, on loopback) or a phone on the network."""

from __future__ import annotations

from flask import request

LOCAL = frozenset({"127.0.0.1", "::1"})


def is_local() -> bool:
    """The request comes from the device itself (its kiosk screen), not from the network."""
    return request.remote_addr in LOCAL
