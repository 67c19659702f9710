"""`publish` and `serve`: a static site with a podcast feed, and a server for phones nearby."""

# No `from __future__ import annotations`: typer reads these annotations at every start.
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voiceroutine.cli.app import app
from voiceroutine.cli.options import JobsOption
from voiceroutine.cli.output import (
    BatchReport,
    SessionReport,
    count,
    escape,
    load_api,
    progress_bar,
    report_program,
    run,
    terminal,
)
from voiceroutine.interrupts import Terminated
from voiceroutine.names import DEFAULT_OUT_DIR

if TYPE_CHECKING:
    from voiceroutine.build import BuildOptions

DEFAULT_SITE = Path("site")
DEFAULT_ROUTINES = Path("routines")


def _base_url(value: str | None) -> str | None:
    """A site address for the feed: http(s), with a host, ending in a slash."""
    from urllib.parse import urlsplit

    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise typer.BadParameter("give the site's address, such as https://example.org/routines/")
    return parts.geturl() if parts.path.endswith("/") else parts.geturl() + "/"


@app.command()
def publish(
    ctx: typer.Context,
    routines: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Routine files, or folders of them (default: routines/).",
            show_default=False,
            metavar="ROUTINES",
        ),
    ] = None,
    site: Annotated[Path, typer.Option("--output", "-o", help="The site's folder.")] = DEFAULT_SITE,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            callback=_base_url,
            help="The address the site will be served from, for the feed's links.",
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title", help="The title of the site and of its podcast.", show_default=False
        ),
    ] = None,
    build_dir: Annotated[
        Path, typer.Option("--build-dir", help="Folder for the builds (build's -o).")
    ] = DEFAULT_OUT_DIR,
    force: Annotated[bool, typer.Option("--force", help="Build every routine again.")] = False,
    jobs: JobsOption = None,
) -> None:
    """Build what is out of date and write a static site: player pages and a podcast feed."""
    api = load_api(ctx)

    term = terminal(ctx)
    if title is not None and not title.strip():
        raise typer.BadParameter("the title is empty", param_hint="--title")
    files = run(ctx, lambda: api.routine_files(routines or [DEFAULT_ROUTINES]))
    options = api.BuildOptions(out_dir=build_dir, force=force, allowances=term.allowances)
    jobs = jobs or api.default_jobs()
    programs = [file for file in files if api.is_program(file)]
    if programs:
        if len(files) > 1:
            raise typer.BadParameter(
                f"{programs[0]} is a program, and a program is published as a site of its "
                "own: publish it alone, with its own -o SITE",
                param_hint="ROUTINES",
            )
        _publish_program(ctx, programs[0], site, options, jobs, base_url, title)
        return
    with progress_bar(term) as progress:
        # A failed routine is not reported here: publish raises with every failure's message.
        report = BatchReport(term, len(files), progress, print_failures=False)
        unfinished = report.unfinished(f"the site {site} was left as it was")
        _, removed = run(
            ctx,
            lambda: api.publish(
                files, site, options, jobs, report, base_url, title.strip() if title else None
            ),
            unfinished,
        )
    if removed:
        term.note(
            f"{site} no longer has {', '.join(removed)}: a site "
            "holds the routines published last; publish them together to keep them"
        )
    term.done(
        "published",
        f"{site}: {count(len(files), 'routine')}, index.html and feed.xml; "
        f"to listen on a phone: voiceroutine serve {site}",
    )


def _publish_program(
    ctx: typer.Context,
    path: Path,
    site: Path,
    options: "BuildOptions",
    jobs: int,
    base_url: str | None,
    title: str | None,
) -> None:
    """Build a program and publish it as a site of its own, under one progress bar."""
    api = load_api(ctx)
    term = terminal(ctx)
    with progress_bar(term) as progress:
        report = SessionReport(term, list_built=False)
        result = run(
            ctx,
            lambda: api.publish_program(
                path, site, options, jobs, report, progress, base_url,
                title.strip() if title else None,
            ),
            report.unfinished(f"the site {site} was left as it was"),
        )  # fmt: skip
    report_program(term, result)
    term.done(
        "published",
        f"{site}: {count(len(result.days), 'day')} of {result.course.title or path.stem}, "
        f"index.html and feed.xml; to listen on a phone: voiceroutine serve {site}",
    )


@app.command()
def serve(
    ctx: typer.Context,
    site: Annotated[
        Path, typer.Argument(help="A folder that publish wrote.", metavar="SITE")
    ] = DEFAULT_SITE,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")
    ] = 8000,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on; 127.0.0.1 keeps it to this machine."),
    ] = "0.0.0.0",
) -> None:
    """Serve a published site on the local network; print its address and a QR code."""
    import os

    from voiceroutine.share.serve import make_server, qr_code, serve_until_stopped, site_url

    term = terminal(ctx)
    server = run(ctx, lambda: make_server(site, host, port), lambda: "the server did not start")
    try:
        address = site_url(server)
        term.out.print(f"Serving {escape(str(site))} at [bold]{escape(address)}[/]")
        term.out.print(f"Podcast feed: {escape(address)}feed.xml")
        colours = term.out.is_terminal and "NO_COLOR" not in os.environ
        sys.stdout.write(qr_code(address, colours))
        if address.startswith(("http://127.", "http://[::1]")):
            term.out.print(
                "Only this machine can open it (--host 0.0.0.0 opens it to the network)."
            )
        else:
            term.out.print("Scan the code with a phone on the same network, or type the address.")
        term.out.print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        serve_until_stopped(server)
    except (KeyboardInterrupt, Terminated):  # stopped before it was serving: the same end
        server.server_close()
    term.out.print("stopped")
