"""How the pages travel to a phone: text compressed with gzip when the browser takes it, static files named by
version and kept by the browser for a year.

Compression: HTML, CSS, JavaScript, JSON and SVG of at least MIN_BYTES, only when the request's Accept-Encoding
takes gzip; never a live stream (/stream.mjpg, /events: they are generators, sent as they come) nor a JPEG or
PNG (compressed already). Every response of a compressible type says Vary: Accept-Encoding. A static file's
compressed bytes are made once per version; its ETag becomes weak, as the bytes differ by encoding.

Versions: url_for("static", filename=...) adds ?v=<the file's hash>, and a request with the current hash is
answered with Cache-Control: immutable, so a phone that has the page's CSS and scripts asks for them never again
(without a version, a file is revalidated every time: ETag and 304, as Flask does).

    init_app(app)
    url_for("static", filename="app.css")      # /static/app.css?v=3f0c9a1b2e
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading

from flask import Flask, Response, request
from werkzeug.security import safe_join

COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                "image/svg+xml", "text/plain"}
MIN_BYTES = 512             # below this, gzip's own 20 bytes and the work are not worth it
MAX_BYTES = 1 << 20         # compressed whole in memory: the kit's pages and files are a few KB
LEVEL = 6
IMMUTABLE = "public, max-age=31536000, immutable"


class StaticVersions:
    """The version of each static file: a hash of its bytes, made again only when the file changes."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._known: dict[str, tuple[int, int, str]] = {}       # filename: (mtime_ns, size, version)
        self._lock = threading.Lock()

    def of(self, filename: str) -> str | None:
        path = safe_join(self.folder, filename)
        try:
            stat = os.stat(path) if path else None
        except OSError:
            stat = None
        if stat is None:
            return None
        with self._lock:
            known = self._known.get(filename)
            if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
                return known[2]
        with open(path, "rb") as fh:
            version = hashlib.sha256(fh.read()).hexdigest()[:10]
        with self._lock:
            self._known[filename] = (stat.st_mtime_ns, stat.st_size, version)
        return version


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def compress(response: Response, cache: dict[str, tuple[str, bytes]] | None = None) -> Response:
    """*response* compressed with gzip if it is worth it and the client takes it; Vary: Accept-Encoding on every
    response of a compressible type. *cache*: {path: (ETag, compressed body)}, for static files."""
    if response.mimetype not in COMPRESSIBLE or response.is_streamed and not response.direct_passthrough:
        return response         # not text, or a generator: a live stream, or an export written as it is read
    response.vary.add("Accept-Encoding")
    if response.status_code in (204, 206, 304) or "Content-Encoding" in response.headers:
        return response
    length = response.content_length
    if length is not None and (length < MIN_BYTES or length > MAX_BYTES) or not accepts_gzip():
        return response
    etag, _ = response.get_etag()
    cached = cache.get(request.path) if cache is not None and etag else None
    body = cached[1] if cached and cached[0] == etag else None
    if body is None:
        response.direct_passthrough = False         # a static file: read it (it is small) to compress it
        data = response.get_data()
        if len(data) < MIN_BYTES:
            return response
        body = gzip.compress(data, LEVEL, mtime=0)
        if cache is not None and etag:
            cache[request.path] = (etag, body)
    else:
        if close := getattr(response.response, "close", None):
            close()                                 # the file, which is not read
        response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Accept-Ranges", None)     # byte ranges of the file, not of what is sent
    if etag:
        response.set_etag(etag, weak=True)          # the same file, other bytes: a weak validator
    return response


def init_app(app: Flask) -> None:
    versions = StaticVersions(app.static_folder)
    compressed: dict[str, tuple[str, bytes]] = {}     # static files' current versions

    @app.url_defaults
    def _version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and (version := versions.of(values.get("filename", ""))):
            values["v"] = version

    @app.after_request
    def _deliver(response: Response) -> Response:
        is_static = request.endpoint == "static"
        if is_static and response.status_code in (200, 304) and request.args.get("v") and \
                request.args["v"] == versions.of((request.view_args or {}).get("filename", "")):
            response.headers["Cache-Control"] = IMMUTABLE
        return compress(response, compressed if is_static else None)
