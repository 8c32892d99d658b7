"""The kit finds its address on the local network by reading its interfaces, never by connecting anywhere."""

import socket

from device import network


def test_wifi_first_then_ethernet_then_others_and_virtual_bridges_last():
    interfaces = [("lo", "127.0.0.1"), ("docker0", "172.17.0.1"), ("eth0", "192.168.1.20"),
                  ("wlan0", "10.42.0.1"), ("usb0", "192.168.7.2")]
    assert network.choose(interfaces) == "10.42.0.1"
    assert network.choose(interfaces[:3] + interfaces[4:]) == "192.168.1.20"
    assert network.choose([("docker0", "172.17.0.1"), ("usb0", "192.168.7.2")]) == "192.168.7.2"
    assert network.choose([("lo", "127.0.0.1"), ("docker0", "172.17.0.1")]) == "172.17.0.1"


def test_never_loopback_or_link_local_and_public_only_when_there_is_no_private_address():
    assert network.choose([("lo", "127.0.0.1"), ("eth0", "169.254.3.4")]) is None
    assert network.choose([]) is None
    assert network.choose([("eth0", "130.225.1.2"), ("wlan0", "192.168.4.1")]) == "192.168.4.1"
    assert network.choose([("eth0", "130.225.1.2")]) == "130.225.1.2"
    assert network.choose([("eth0", "not an address")]) is None


def test_the_address_is_read_from_the_interfaces_without_connecting_anywhere(monkeypatch):
    attempts = []

    def connect(self, address):
        attempts.append(address)
        raise OSError("the kit promised to contact nothing")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    network.lan_address()
    assert attempts == [], "not even a UDP connect that sends nothing"
    found = network.interface_addresses()
    assert ("lo", "127.0.0.1") in found, "this machine's own interfaces, loopback included"
    assert network.lan_address() == network.choose(found)
    monkeypatch.setattr(network, "interface_addresses", lambda: [("wlan0", "10.42.0.1")])
    assert network.lan_address() == "10.42.0.1"
    assert attempts == []
