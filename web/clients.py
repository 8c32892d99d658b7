"""Who is asking: the device's own screen (the kiosk, on loopback) or a phone on the network."""

from __future__ import annotations

import ipaddress

from flask import request

LOCAL = frozenset({"127.0.0.1", "::1"})


def is_local() -> bool:
    """The request comes from the device itself (its kiosk screen), not from the network."""
    return request.remote_addr in LOCAL


def network_of(address: str) -> str:
    """Whom a limit counts: an IPv4 address, or an IPv6 /64 (one phone may take any address of its /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
