"""The local server: byte ranges as phones ask for them, nothing outside the site, a clean stop."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from share_tools import publish_tiny, serving
from voiceroutine.share.serve import ByteRange, Refused, parse_range

AUDIO = "/tiny/tiny.mp3"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("served")
    site, _ = publish_tiny(folder)
    (folder / "secret.txt").write_text("not for the network", encoding="utf-8")
    (site / "leak.txt").symlink_to(folder / "secret.txt")
    (site / "leaks").symlink_to(folder)
    (site / "inside.txt").symlink_to(site / "tiny" / "tiny.yaml")
    return site


@pytest.fixture(scope="module")
def address(site: Path) -> Iterator[str]:
    with serving(site) as url:
        yield url


def request(
    address: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """Send `path` exactly as written (no normalising of `..` or escapes)."""
    host, port = address.removeprefix("http://").strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        own_host = "Host" in (headers or {})
        connection.putrequest(method, path, skip_host=own_host, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_file_is_served_whole_with_ranges_offered(address: str, site: Path) -> None:
    status, headers, body = request(address, AUDIO)
    assert status == 200
    assert body == (site / "tiny" / "tiny.mp3").read_bytes()
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Content-Type"] == "audio/mpeg"
    assert int(headers["Content-Length"]) == len(body)


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, None), ("bytes=-500", -500, None),
     ("bytes=100-100", 100, 100), ("bytes=5000-99999999", 5000, None)],
)  # fmt: skip
def test_a_range_gets_206_with_exactly_those_bytes(
    address: str, site: Path, spec: str, start: int, end: int | None
) -> None:
    whole = (site / "tiny" / "tiny.mp3").read_bytes()
    expected = whole[start:] if end is None else whole[start : end + 1]
    status, headers, body = request(address, AUDIO, {"Range": spec})
    assert status == 206
    assert body == expected
    first = start % len(whole)
    assert headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(whole)}"
    assert int(headers["Content-Length"]) == len(expected)


@pytest.mark.parametrize("spec", ["bytes=99999999-", "bytes=50-10", "bytes=-0", "bytes=x-y"])
def test_a_range_that_cannot_be_met_gets_416(address: str, site: Path, spec: str) -> None:
    status, headers, body = request(address, AUDIO, {"Range": spec})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{(site / 'tiny' / 'tiny.mp3').stat().st_size}"
    assert body == b""


def test_a_stale_if_range_gets_the_whole_file(address: str, site: Path) -> None:
    headers = {"Range": "bytes=0-9", "If-Range": '"not-this-version"'}
    status, _, body = request(address, AUDIO, headers)
    assert status == 200 and body == (site / "tiny" / "tiny.mp3").read_bytes()


def test_head_sends_headers_only(address: str, site: Path) -> None:
    status, headers, body = request(address, AUDIO, method="HEAD")
    assert status == 200 and body == b""
    assert int(headers["Content-Length"]) == (site / "tiny" / "tiny.mp3").stat().st_size


def test_a_folder_serves_its_index_and_is_never_listed(address: str) -> None:
    status, headers, _ = request(address, "/tiny")
    assert status == 301 and headers["Location"] == "/tiny/"
    status, headers, body = request(address, "/tiny/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'id="instruction"' in body
    assert request(address, "/assets/")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/tiny/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/tiny/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/.%2e/secret.txt",
        "/tiny/..%5c..%5csecret.txt",
        "/leak.txt",
        "/leaks/secret.txt",
    ],
)
def test_paths_out_of_the_site_are_refused(address: str, path: str) -> None:
    status, _, body = request(address, path)
    assert status == 403
    assert b"not for the network" not in body


def test_hidden_and_missing_files_are_not_found(address: str) -> None:
    assert request(address, "/.voiceroutine-site.json")[0] == 404
    assert request(address, "/%2evoiceroutine-site.json")[0] == 404
    assert request(address, "/nothing.mp3")[0] == 404
    assert request(address, "/%252e%252e/secret.txt")[0] == 404  # an odd name, not a way out


def test_a_link_that_stays_inside_is_served(address: str, site: Path) -> None:
    status, _, body = request(address, "/inside.txt")
    assert status == 200 and body == (site / "tiny" / "tiny.yaml").read_bytes()


def test_the_feed_gets_absolute_links_for_the_address_the_client_used(address: str) -> None:
    status, headers, body = request(address, "/feed.xml", {"Host": "192.168.1.20:8000"})
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    entry = feedparser.parse(body).entries[0]
    assert entry.enclosures[0].href == "http://192.168.1.20:8000/tiny/tiny.mp3"
    status, _, body = request(address, "/feed.xml", {"Host": "evil.example/<x>"})
    assert status == 200 and b"<x>" not in body and b"http://127.0.0.1:" in body


def test_parse_range_follows_http() -> None:
    assert parse_range("bytes=0-0", 10) == ByteRange(0, 0)
    assert parse_range("bytes=-20", 10) == ByteRange(0, 9)
    assert parse_range("items=0-5", 10) is None  # another unit: ignored
    assert parse_range("bytes=0-1,4-5", 10) is None  # several ranges: the whole file
    with pytest.raises(Refused):
        parse_range("bytes=10-", 10)
    with pytest.raises(Refused):
        parse_range("bytes=0-", 0)


def test_serve_prints_the_address_and_a_qr_code_and_stops_cleanly_on_ctrl_c(site: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    env.update(NO_COLOR="1", TERM="dumb")
    command = [sys.executable, "-m", "voiceroutine", "serve", str(site), "--port", "0",
               "--host", "127.0.0.1"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        lines = []
        while not (lines and lines[-1].startswith("Press Ctrl-C")):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            lines.append(line)
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", lines[0])
        assert found, lines
        assert sum("█" in line for line in lines) >= 15  # the QR code
        assert request(found.group(1), "/")[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err and err == ""
