"""A tiny routine published for the site, server and browser tests (built with the fake engine)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from audio_tools import make_audio_file
from fakes import ToneEngine
from voiceroutine import api
from voiceroutine.share.episodes import Episode, episode
from voiceroutine.share.serve import make_server
from voiceroutine.share.site import SiteSettings, write_site

TITLE = 'Tiny <script>alert(1)</script> & "friends"'
ROUTINE = """\
title: Tiny <script>alert(1)</script> & "friends"
description: |-
  Two short holds <b>to try</b> & 'test'.
  Second line.
library: moves.yaml
cover: cover.png
intro: false
outro: false
audio: {bell: false}
defaults:
  rest_between_exercises: 2s
steps:
  - exercise: reach
  - exercise: fold
"""
LIBRARY = """\
exercises:
  - id: reach
    name: Reach <up>
    instructions: [Reach up high.]
    reps: 1
    hold: 2s
  - id: fold
    name: Fold & bend
    instructions: [Fold forward.]
    reps: 1
    hold: 2s
"""


def write_tiny(folder: Path, stem: str = "tiny") -> Path:
    """The tiny routine (about 30 s), its exercise library and a cover, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "moves.yaml").write_text(LIBRARY, encoding="utf-8")
    cover = folder / "cover.png"
    if not cover.exists():
        make_audio_file(cover, "color=c=teal:s=32x32", 0.04, "-frames:v", "1")
    routine = folder / f"{stem}.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    return routine


def build_tiny(routine: Path, out_dir: Path, cache_dir: Path) -> Episode:
    """Build with the fake engine (fast) and gather the episode."""
    options = api.BuildOptions(out_dir=out_dir, cache_dir=cache_dir)
    return episode(routine, api.build(routine, options, ToneEngine()))


def publish_tiny(folder: Path, base_url: str | None = None) -> tuple[Path, Episode]:
    """Build the tiny routine and publish it into `folder`/site; return the site and episode."""
    routine = write_tiny(folder / "routines")
    built = build_tiny(routine, folder / "output", folder / "cache")
    site = folder / "site"
    write_site(site, [built], SiteSettings(title="Test <site>", base_url=base_url))
    return site, built


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """Serve `site` on a free local port in a thread; yields its address."""
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
