"""What the tests of the surfaces share: headless Chromium reading a report's DOM, and a local
webhook receiver that records what the alerts post."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


class _DomText(HTMLParser):
    """Text and attributes of every element with an id, plus the <body> attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.attrs_by_id: dict[str, dict[str, str | None]] = {}
        self.body: dict[str, str | None] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        element_id = attributes.get("id")
        if element_id:
            self.by_id[element_id] = ""
            self.attrs_by_id[element_id] = attributes
        self._open.append((tag, element_id))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.by_id[element_id] += data


@dataclass(frozen=True)
class Mark:
    """An element drawn inside a chart: its tag, its class, its group's class, its aria-label and
    its own text (a legend label, an axis label)."""

    tag: str
    css_class: str
    group: str
    label: str
    text: list[str]


class _ChartMarks(HTMLParser):
    """Every element inside the element with the given id (a chart container)."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.marks: list[Mark] = []
        self._stack: list[tuple[str, str]] = []  # (tag, class) of open elements inside the chart
        self._depth = 0  # open elements since the chart container, 0 outside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self._depth == 0:
            if attributes.get("id") == self.element_id:
                self._depth = 1
                self._stack = [(tag, "")]
            return
        group = next((css for _, css in reversed(self._stack) if "role-" in css), "")
        css = attributes.get("class") or ""
        self.marks.append(Mark(tag, css, group, attributes.get("aria-label") or "", []))
        self._stack.append((tag, css))
        self._depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._depth > 1:
            self.marks[-1].text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._depth == 0:
            return
        while self._stack:
            open_tag, _ = self._stack.pop()
            self._depth -= 1
            if open_tag == tag:
                break


def chart_marks(dom: str, element_id: str) -> list[Mark]:
    parser = _ChartMarks(element_id)
    parser.feed(dom)
    return parser.marks


@dataclass(frozen=True)
class Page:
    text: dict[str, str]
    attributes: dict[str, dict[str, str | None]]
    body: dict[str, str | None]
    console: list[str]
    dom: str


@dataclass(frozen=True)
class Browser:
    user_data_dir: Path

    def _run(self, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
        assert CHROMIUM.exists(), "Debian chromium is missing: run scripts/install_chromium.sh"
        return subprocess.run(
            [
                str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                # Nothing may be fetched: every host name fails to resolve. The charts render
                # asynchronously: virtual time lets their promises settle before the DOM is dumped.
                "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000",
                f"--user-data-dir={self.user_data_dir}", "--enable-logging=stderr", "--v=0", *extra, url,
            ],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip

    @staticmethod
    def _console(stderr: str) -> list[str]:
        # Every console message and uncaught error is logged as a CONSOLE line; the report logs nothing.
        return [line for line in stderr.splitlines() if ":CONSOLE" in line]

    def open(self, url: str) -> Page:
        done = self._run(url, "--dump-dom")
        parser = _DomText()
        parser.feed(done.stdout)
        return Page(parser.by_id, parser.attrs_by_id, parser.body, self._console(done.stderr), done.stdout)

    def screenshot(self, url: str, path: Path, width: int = 1200, height: int = 1250) -> list[str]:
        done = self._run(url, f"--screenshot={path}", f"--window-size={width},{height}", "--hide-scrollbars")
        return self._console(done.stderr)


@contextlib.contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(
                (dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"])))
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
