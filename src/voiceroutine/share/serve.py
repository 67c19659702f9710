"""Serve a published site on the local network: files under its folder only, with byte ranges.

Phones seek in audio with HTTP range requests, so every file is served with
`Accept-Ranges: bytes`; a single range gets 206 with exactly those bytes, one
that cannot be met gets 416. Paths that lead out of the folder (`..`, its
percent-encoded forms, symbolic links to elsewhere) are refused, hidden files
are not served, and folders are never listed.
"""

from __future__ import annotations

import email.utils
import io
import mimetypes
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote, urlsplit

from voiceroutine import __version__
from voiceroutine.audio.formats import FORMATS
from voiceroutine.errors import VoiceroutineError
from voiceroutine.share.layout import FEED, INDEX

DEFAULT_PORT = 8000
CHUNK = 64 * 1024
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".vtt": "text/vtt; charset=utf-8",
    ".xml": "application/rss+xml; charset=utf-8",
    ".yaml": "text/plain; charset=utf-8",
    ".yml": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    **{f".{f.extension}": f.media_type for f in FORMATS.values()},
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
HOST_HEADER = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
RANGE_SPEC = re.compile(r"(\d*)-(\d*)")


class Refused(Exception):
    """A request the server answers with an error status."""

    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(status.phrase)
        self.status = status


@dataclass(frozen=True)
class ByteRange:
    """Bytes `start` to `end` of a file, both included."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one byte range a Range header asks for; None to send the whole file.

    Raises Refused(416) when the range cannot be met or is malformed. A header
    in another unit, or with several ranges, is ignored (the whole file is sent),
    as HTTP allows.
    """
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    parts = [part.strip() for part in specs.split(",")]
    if len(parts) > 1:
        return None
    match = RANGE_SPEC.fullmatch(parts[0])
    if match is None or match.group(1) == match.group(2) == "":
        raise Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
    first, last = match.groups()
    if first == "":  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or (last != "" and int(last) < start):
        raise Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
    return ByteRange(start, end)


def resolve_request(root: Path, target: str) -> Path:
    """The file or folder under `root` that a request target names; Refused otherwise.

    `root` must be resolved (absolute, without symbolic links).
    """
    path = urlsplit(target).path
    if not path.startswith("/"):
        raise Refused(HTTPStatus.BAD_REQUEST)
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        raise Refused(HTTPStatus.BAD_REQUEST) from None
    if "\x00" in decoded or "\\" in decoded:
        raise Refused(HTTPStatus.FORBIDDEN)
    parts = [part for part in decoded.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise Refused(HTTPStatus.FORBIDDEN)
    if any(part.startswith(".") for part in parts):
        raise Refused(HTTPStatus.NOT_FOUND)  # the site's manifest, editors' files, ...
    found = root.joinpath(*parts)
    if not _inside(root, found):
        raise Refused(HTTPStatus.FORBIDDEN)
    return found


def _inside(root: Path, path: Path) -> bool:
    """Whether `path`, with every symbolic link followed, is `root` or under it."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a loop of links
        return False
    return real == root or root in real.parents


class SiteServer(ThreadingHTTPServer):
    """An HTTP server for the files under one folder."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        self.root = root.resolve()
        super().__init__(address, SiteHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that drops its connection (phones do it all the time) is not an error."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class SiteHandler(BaseHTTPRequestHandler):
    """GET and HEAD for the site's files, with single byte ranges."""

    server: SiteServer
    protocol_version = "HTTP/1.1"
    server_version = f"voiceroutine/{__version__}"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal shows the address and the QR code, not every request."""

    def _answer(self, send_body: bool) -> None:
        try:
            path = resolve_request(self.server.root, self.path)
            if path.is_dir():
                if not urlsplit(self.path).path.endswith("/"):
                    self._redirect_to_folder()
                    return
                path = path / INDEX
            if not path.is_file() or not _inside(self.server.root, path):
                raise Refused(HTTPStatus.NOT_FOUND)
            if path == self.server.root / FEED:
                self._send_feed(path, send_body)
                return
            with path.open("rb") as file:
                stat = os.fstat(file.fileno())
                self._send(file, stat.st_size, stat.st_mtime, path, send_body)
        except Refused as refusal:
            self._refuse(refusal.status)
        except OSError:
            self._refuse(HTTPStatus.NOT_FOUND)

    def _send_feed(self, path: Path, send_body: bool) -> None:
        """The feed with its links made absolute for the address the client used."""
        from voiceroutine.share.feed import absolute_links

        host = self.headers.get("Host", "")
        if not HOST_HEADER.fullmatch(host):
            host = "%s:%d" % self.server.server_address[:2]  # noqa: UP031
        data = absolute_links(path.read_bytes(), f"http://{host}/")
        self._send(io.BytesIO(data), len(data), path.stat().st_mtime, path, send_body)

    def _send(self, file: BinaryIO, size: int, mtime: float, path: Path, send_body: bool) -> None:
        """Send `file` (of `size` bytes), whole or the one range the request asks for."""
        etag = f'"{size:x}-{int(mtime):x}"'
        modified = email.utils.formatdate(mtime, usegmt=True)
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if wanted and if_range and if_range not in (etag, modified):
            wanted = None  # the file changed since the client's first part: send it whole
        span = parse_range(wanted, size) if wanted else None
        if span is None:
            self.send_response(HTTPStatus.OK)
            start, length = 0, size
        else:
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            self.send_header("Content-Range", f"bytes {span.start}-{span.end}/{size}")
            start, length = span.start, span.length
        self.send_header("Content-Type", _content_type(path))
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            file.seek(start)
            _copy(file, self.wfile, length)

    def _refuse(self, status: HTTPStatus) -> None:
        try:
            if status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE:
                path = resolve_request(self.server.root, self.path)
                size = (path / INDEX if path.is_dir() else path).stat().st_size
                self.send_response(status)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        except (Refused, OSError):
            pass
        self.send_error(status)

    def _redirect_to_folder(self) -> None:
        parts = urlsplit(self.path)
        location = quote(unquote(parts.path), safe="/") + "/"
        if parts.query:
            location += f"?{parts.query}"
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _copy(source: BinaryIO, destination: BinaryIO, length: int) -> None:
    """Send `length` bytes; a client that hangs up mid-way (phones do, when seeking) is fine."""
    try:
        while length > 0:
            chunk = source.read(min(CHUNK, length))
            if not chunk:
                break
            destination.write(chunk)
            length -= len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def make_server(root: Path, host: str = "0.0.0.0", port: int = DEFAULT_PORT) -> SiteServer:
    """A server for the site in `root`, listening (not yet serving) on host:port."""
    if not (root / INDEX).is_file():
        raise VoiceroutineError(
            f"no site in {root} (no {INDEX}); "
            f"write one with: voiceroutine publish ROUTINES -o {root}"
        )
    try:
        return SiteServer((host, port), root)
    except OSError as error:
        if error.errno in (98, 48, 10048):  # address in use (Linux, macOS, Windows)
            raise VoiceroutineError(
                f"port {port} is in use on {host}; choose another with --port"
            ) from None
        raise VoiceroutineError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def serve_until_stopped(server: SiteServer) -> None:
    """Answer requests until Ctrl-C (or SIGTERM), then close the listening socket."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()


def site_url(server: SiteServer) -> str:
    """The address to open: the machine's address on the local network when listening on all."""
    host, port = server.server_address[:2]
    if host in ("0.0.0.0", ""):
        host = lan_address()
    elif ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def lan_address() -> str:
    """This machine's address on its local network (no packet is sent to find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address: only picks the route
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def qr_code(text: str, colours: bool) -> str:
    """`text` as a QR code for a terminal: with colours (for any theme), or in plain blocks."""
    import segno

    out = io.StringIO()
    segno.make(text, micro=False).terminal(out=out, compact=not colours)
    return out.getvalue()
