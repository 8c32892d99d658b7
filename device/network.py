"""This machine's address on the local network, for the URLs the kit prints and puts in QR codes.

Read from the network interfaces themselves (each one socket.if_nameindex() lists, asked for its flags and its
IPv4 address with an ioctl): no connection is made, not even a UDP connect that sends no packet, since the kit
promises to contact nothing. /proc/net is not read: the systemd unit hides it (ProcSubset=pid).

    lan_address()                                                   # "10.42.0.1", the Pi's own hotspot say
    choose([("eth0", "192.168.1.20"), ("wlan0", "10.42.0.1")])      # "10.42.0.1": Wi-Fi first
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from collections.abc import Iterable

SIOCGIFFLAGS, SIOCGIFADDR = 0x8913, 0x8915      # linux/sockios.h
IFF_UP = 0x1
WIFI, ETHERNET = ("wlan", "wlp", "wl"), ("eth", "enp", "enx", "eno", "ens", "end", "en")
# Bridges and tunnels of containers, virtual machines and VPNs: phones nearby do not reach the kit there.
VIRTUAL = ("docker", "br-", "veth", "virbr", "lxc", "lxd", "vmnet", "vboxnet", "tun", "tap", "wg", "zt", "tailscale")


def interface_addresses() -> list[tuple[str, str]]:
    """(name, IPv4 address) of every interface that is up and has one, loopback included."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:     # for the ioctls only: never connected
        for name in names:
            request = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack_from("H", fcntl.ioctl(sock, SIOCGIFFLAGS, request), 16)[0]
                if flags & IFF_UP:
                    found.append((name, socket.inet_ntoa(fcntl.ioctl(sock, SIOCGIFADDR, request)[20:24])))
            except OSError:         # no IPv4 address on it
                continue
    return found


def choose(addresses: Iterable[tuple[str, str]]) -> str | None:
    """The address phones on the same network reach this machine at: a private IPv4 address (not loopback nor
    link-local) on Wi-Fi first, then Ethernet, then any other interface, virtual ones last; a public one only if
    there is no private one (some universities give those on their Wi-Fi)."""
    ranked = []
    for name, text in addresses:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            continue
        if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
            continue
        kind = (0 if name.startswith(WIFI) else 1 if name.startswith(ETHERNET) else 3 if name.startswith(VIRTUAL)
                else 2)
        ranked.append((not address.is_private, kind, text))
    return min(ranked)[2] if ranked else None


def lan_address() -> str | None:
    """This machine's address on the local network, or None if it has none."""
    return choose(interface_addresses())
