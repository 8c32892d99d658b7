"""This machine's address on the local network, for the URLs the kit prints and puts in QR codes."""

from __future__ import annotations

import socket


def lan_address() -> str | None:
    """This machine's address on the local network (a UDP connect sends no packet)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
            return None if address.startswith("127.") else address
    except OSError:
        return None
