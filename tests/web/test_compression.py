"""Pages, styles, scripts and JSON travel gzipped to a browser that takes it; live streams and pictures never;
static files carry their version in their URL and are kept by the browser (web/delivery.py)."""

from __future__ import annotations

import gzip
import re
import socket

import pytest

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def static_urls(client) -> dict[str, str]:
    html = client.get("/").get_data(as_text=True)
    return {name: url for url, name in re.findall(r'"(/static/([\w.]+)\?v=\w+)"', html)}


@pytest.mark.parametrize("path", ["/", "/data", "/api/status", "/api/kinds", "app.css", "camera.js"])
def test_text_is_gzipped_when_the_client_takes_it(client, path):
    url = static_urls(client)[path] if not path.startswith("/") else path
    with client.get(url) as plain, client.get(url, headers=GZIP) as packed:
        assert plain.status_code == packed.status_code == 200
        assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
        assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
        assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 2
        unpacked = gzip.decompress(packed.data)
        assert unpacked == plain.data if url != path else unpacked[:9] == plain.data[:9]   # pages change as they go
    with client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"}) as refused:
        assert "Content-Encoding" not in refused.headers


def test_static_files_are_versioned_kept_and_revalidated(client):
    url = static_urls(client)["app.js"]
    with client.get(url, headers=GZIP) as first:
        assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        etag = first.headers["ETag"]
        assert etag.startswith('W/"'), "the compressed bytes are not the file's: a weak validator"
    with client.get(url, headers={**GZIP, "If-None-Match": etag}) as again:
        assert again.status_code == 304 and "Accept-Encoding" in again.headers["Vary"]
    with client.get("/static/app.js", headers=GZIP) as unversioned:
        assert unversioned.headers["Cache-Control"] == "no-cache"      # asked again each time, answered with 304
    with client.get("/static/app.js?v=old", headers=GZIP) as stale:
        assert stale.headers["Cache-Control"] == "no-cache"


def head_of(port: int, path: str) -> str:
    """The response head for *path*, asked with Accept-Encoding: gzip on a plain socket."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: kit\r\nAccept-Encoding: gzip\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
    return data.split(b"\r\n\r\n", 1)[0].decode().lower()


def test_streams_and_pictures_are_never_compressed(server, kit):
    kit.frames.wait_newer(0, timeout=5)
    for path in ("/stream.mjpg", "/events", "/heatmap.jpg"):
        head = head_of(server.port, path)
        assert head.startswith("http/1.1 200") and "content-encoding" not in head, (path, head)
    assert "content-encoding: gzip" in head_of(server.port, "/api/status")
