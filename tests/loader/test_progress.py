"""Progress of a load: on a terminal, a live display per organization and stream whose counts are
what was loaded; elsewhere (cron, CI, pipes) the plain log lines and summary, nothing else; a
display that breaks never fails the load."""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import re
import struct
import subprocess
import termios
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from loader_testkit import cli_env, loader_command, new_sim, run_cli, settings_for
from rich.console import Console

from loader.pipeline import run_load
from loader.progress import ProgressReporter, TerminalProgress, progress_for
from loader.source import StreamOutcome
from openai_simulator import Simulator, SimulatorServer, serve

REPO_ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = "completions,costs,projects,project_api_keys"
# One slice: the window of two days ends on the simulator's last day.
WINDOW = ["--start", "2026-03-08", "--end", "2026-03-10", "--endpoints", ENDPOINTS]
NAMES = ("acme", "globex")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) \S")
# The loader's own line per stream read (loader/source.py), as cron and CI have always seen it.
STREAM_LOG = re.compile(
    r"^\d\d:\d\d:\d\d INFO (?P<org>\S+ \(org-\w+\)) (?P<table>\w+)(?: \[(?P<group>[\w,]*)\] \S+\.\.\S+: "
    r"(?P<pages>\d+) pages, (?P<rows>\d+) rows \(\d+\.\ds\)|: (?P<meta_rows>\d+) rows)$"
)
# The summary's table of streams (loader/summary.py): organization, table, group by, pages, rows, outcome.
SUMMARY_STREAM = re.compile(
    r"^(?P<org>\S+ \(org-\w+\))\s+(?P<table>\w+)\s+(?P<group>[\w,]*?)\s+(?P<pages>[\d,]+)\s+"
    r"(?P<rows>[\d,]+)\s+(?P<outcome>ok|warning|error)$"
)
DISPLAY_ORG = re.compile(
    r"^(?P<org>\S.*?)\s+(?P<pages>[\d,]+) pages?\s+(?P<rows>[\d,]+) rows?\s+"
    r"(?P<done>\d+) of (?P<streams>\d+) streams done(?:, \d+ failed)?$"
)
DISPLAY_STREAM = re.compile(
    r"^  (?P<table>\w+)\s+(?P<pages>[\d,]+) pages?\s+(?P<rows>[\d,]+) rows?\s+(?P<state>\S+)"
    r"(?:\s+(?P<group>[\w,]+))?$"
)


@dataclass
class World:
    sim: Simulator
    server: SimulatorServer
    labels: dict[str, str]  # organization label -> org id

    def env(self, workdir: Path, **extra: str) -> dict[str, str]:
        """Two organizations by name (labels `acme (org-...)`), isolated from the developer's config."""
        orgs = {}
        for name, spec in zip(NAMES, self.sim.organizations, strict=True):
            prefix = f"SOURCES__OPENAI__ORGANIZATIONS__{name.upper()}__"
            orgs[prefix + "ADMIN_KEY"] = spec.admin_key
            orgs[prefix + "ORG_ID"] = spec.org_id
        env = cli_env(workdir, self.server.base_url, **orgs)
        for name in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"):
            env.pop(name, None)
        env.update(extra)
        return env

    @property
    def keys(self) -> list[str]:
        return [spec.admin_key for spec in self.sim.organizations]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    sim = new_sim()
    assert len(sim.organizations) == len(NAMES)
    labels = {
        f"{name} ({spec.org_id})": spec.org_id for name, spec in zip(NAMES, sim.organizations, strict=True)
    }
    with serve(sim) as server:
        yield World(sim, server, labels)


def summary_streams(stdout: str) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(organization, table, group by) -> (pages, rows), from the summary printed after the load."""
    found = {}
    for line in stdout.splitlines():
        match = SUMMARY_STREAM.match(line.strip())
        if match:
            key = (match["org"], match["table"], match["group"])
            found[key] = (int(match["pages"].replace(",", "")), int(match["rows"].replace(",", "")))
    return found


def warehouse_rows(db: Path, labels: dict[str, str], streams: list[tuple[str, str, str]]) -> dict:
    """Rows loaded per stream: a first load into an empty warehouse holds exactly what was read."""
    counts = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for org, table, group in streams:
            where, params = "org_id = ?", [labels[org]]
            if group:
                where, params = where + " and group_by = ?", [*params, group]
            counts[org, table, group] = con.execute(
                f"select count(*) from openai_raw.{table} where {where}", params
            ).fetchone()[0]
    return counts


def run_in_terminal(env: dict[str, str], *args: str, columns: int = 230, lines: int = 60) -> tuple[int, str]:
    """`python -m loader` with stdout and stderr on a pseudo-terminal; its exit code and all it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    process = subprocess.Popen(
        loader_command(*args), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave
    )
    os.close(slave)
    output = bytearray()
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the loader has exited and closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return process.wait(timeout=120), output.decode("utf-8", "replace")


def test_not_a_terminal_prints_the_plain_log_lines_and_summary_only(world: World, tmp_path: Path) -> None:
    # rich would draw for FORCE_COLOR and a colour TERM; the loader asks whether stdout is a terminal.
    env = world.env(tmp_path, TERM="xterm-256color", FORCE_COLOR="1")
    done = run_cli(env, *WINDOW)
    assert done.returncode == 0, done.stderr[-3000:]
    for output in (done.stdout, done.stderr):
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", output)  # no ANSI, no \r, no cursor moves
        assert "streams done" not in output and "reading pages" not in output
    # stderr: the timestamped log lines, one per stream read among them; stdout: the summary alone.
    assert all(LOG_LINE.match(line) for line in done.stderr.splitlines()), done.stderr
    logged = {}
    for line in done.stderr.splitlines():
        match = STREAM_LOG.match(line)
        if match and match["meta_rows"] is None:
            logged[match["org"], match["table"], match["group"]] = int(match["rows"])
        elif match:
            logged[match["org"], match["table"], ""] = int(match["meta_rows"])
    summary = summary_streams(done.stdout)
    assert len(summary) == 2 * 5  # per organization: completions, two costs groupings, two lists
    assert logged == {key: rows for key, (_, rows) in summary.items()}
    lines = done.stdout.splitlines()
    assert lines[0] == f"Loaded into duckdb dataset openai_raw ({tmp_path / 'warehouse.duckdb'})"
    assert lines[-1] == "failures: none"


def test_a_terminal_shows_each_organization_and_stream_with_what_was_loaded(
    world: World, tmp_path: Path
) -> None:
    env = world.env(tmp_path, TERM="xterm-256color")
    code, raw = run_in_terminal(env, *WINDOW)
    # \r starts each frame over the last one: a line break, to read the frames one line each.
    text = ANSI.sub("", raw).replace("\r", "\n")
    assert code == 0, text[-3000:]
    assert "\x1b[" in raw  # drawn live: the display moves the cursor
    display, summary_text = text.split("Loaded into duckdb dataset", 1)
    summary = summary_streams(summary_text)
    assert len(summary) == 2 * 5

    # Each frame draws every organization's line, then its streams: the last frame is the final state.
    org_lines: dict[str, re.Match[str]] = {}
    streams: dict[tuple[str, str, str], tuple[int, int, str]] = {}
    org = None
    for line in display.splitlines():
        if match := DISPLAY_ORG.match(line.rstrip()):
            org = match["org"]
            org_lines[org] = match
        elif (match := DISPLAY_STREAM.match(line.rstrip())) and org is not None:
            pages, rows = (int(match[name].replace(",", "")) for name in ("pages", "rows"))
            streams[org, match["table"], match["group"] or ""] = (pages, rows, match["state"])
    assert sorted(org_lines) == sorted(world.labels)
    assert sorted(streams) == sorted(summary)
    assert all(state == "done" for _, _, state in streams.values()), streams
    # Pages as the summary counts them, rows as the warehouse holds them.
    assert {key: (pages, rows) for key, (pages, rows, _) in streams.items()} == summary
    loaded = warehouse_rows(tmp_path / "warehouse.duckdb", world.labels, list(streams))
    assert {key: rows for key, (_, rows, _) in streams.items()} == loaded
    assert all(count > 0 for count in loaded.values())
    for label, match in org_lines.items():
        mine = [value for key, value in streams.items() if key[0] == label]
        assert int(match["pages"].replace(",", "")) == sum(pages for pages, _, _ in mine)
        assert int(match["rows"].replace(",", "")) == sum(rows for _, rows, _ in mine)
        assert (match["done"], match["streams"]) == (str(len(mine)), str(len(mine)))
    # The log lines print above the display, whole, each on a line of its own.
    assert re.search(r"^\d\d:\d\d:\d\d INFO slice 1: extract finished in ", display, re.MULTILINE)
    assert re.search(r"^\d\d:\d\d:\d\d INFO load finished in ", display, re.MULTILINE)
    assert not any(key in raw for key in world.keys)


def test_quiet_and_dumb_terminals_and_pipes_get_no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as terminal:
            monkeypatch.setenv("TERM", "xterm-256color")
            monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
            chosen = progress_for(quiet=False, stdout=terminal)
            assert isinstance(chosen, TerminalProgress)
            assert type(progress_for(quiet=True, stdout=terminal)) is ProgressReporter
            monkeypatch.setenv("NO_COLOR", "1")  # colours off, the display stays
            assert progress_for(quiet=False, stdout=terminal).console.no_color  # type: ignore[attr-defined]
            for term in ("dumb", "unknown"):
                monkeypatch.setenv("TERM", term)
                assert type(progress_for(quiet=False, stdout=terminal)) is ProgressReporter
    finally:
        os.close(master)
        os.close(slave)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert type(progress_for(quiet=False, stdout=io.StringIO())) is ProgressReporter


def _terminal(height: int = 40) -> tuple[TerminalProgress, io.StringIO]:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, height=height, color_system=None)
    return TerminalProgress(console, redirect_stderr=False), screen


def test_labels_are_shown_as_they_are_and_finished_streams_fold_when_the_screen_is_short() -> None:
    progress, screen = _terminal(height=8)
    with progress:
        outcomes = [
            StreamOutcome("acme [prod] (org-1)", f"usage_{n}", "[bold]project_id", pages=n, rows=10 * n)
            for n in range(1, 6)
        ]
        for outcome in outcomes:
            progress.stream(outcome, reading=True)
            outcome.completed = outcome.pages < 5
            progress.stream(outcome, reading=False)
        assert len(progress.rows(height=20)) == 6
        # Too short: the finished streams fold into their organization's line, then the waiting ones.
        assert [task.description for task in progress.rows(height=6)] == ["acme [prod] (org-1)", "usage_5"]
        assert [task.description for task in progress.rows(height=2)] == ["acme [prod] (org-1)"]
        progress.show_all = True  # the frame a failed run leaves: every stream
        assert len(progress.rows(height=2)) == 6
        progress.show_all = False
    assert not progress.broken
    frames = ANSI.sub("", screen.getvalue())
    assert "acme [prod] (org-1)" in frames and "[bold]project_id" in frames  # not read as rich markup
    assert re.search(r"acme \[prod\] \(org-1\)\s+15 pages\s+150 rows\s+4 of 5 streams done", frames)
    assert re.search(r"  usage_3\s+3 pages\s+30 rows\s+done\s+\[bold\]project_id", frames)


class _BrokenTerminal(io.StringIO):
    """A terminal that accepts nothing: every write fails."""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_display_that_fails_leaves_the_load_whole(world: World, tmp_path: Path) -> None:
    console = Console(file=_BrokenTerminal(), force_terminal=True, width=120)
    progress = TerminalProgress(console, redirect_stderr=False)
    settings = settings_for(world.sim, world.server.base_url, tmp_path, endpoints=("costs", "projects"))
    warnings = _Lines()
    logging.getLogger("loader").addHandler(warnings)
    try:
        with progress:
            result = run_load(settings, progress)
    finally:
        logging.getLogger("loader").removeHandler(warnings)
    assert result.ok and result.loaded
    assert progress.broken
    assert warnings.lines == ["progress display turned off after an error in it (OSError); the load goes on"]
    assert result.warehouse_rows["costs"] == sum(s.rows for s in result.report.streams if s.table == "costs")
    assert result.warehouse_rows["costs"] > 0


def test_an_error_while_drawing_turns_the_display_off(monkeypatch: pytest.MonkeyPatch) -> None:
    progress, _ = _terminal()

    def broken(height: int) -> list[object]:
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(progress, "rows", broken)
    with progress:
        outcome = StreamOutcome("acme (org-1)", "costs", "line_item,project_id")
        progress.stream(outcome, reading=True)  # the first frame fails; this call notices it
        progress.stream(outcome, reading=True)
        progress.step("slice 1: loading into duckdb")
    assert progress.broken


def test_a_run_that_fails_leaves_every_stream_on_screen_and_a_finished_one_clears_it() -> None:
    for failed in (True, False):
        progress, screen = _terminal(height=4)
        with contextlib.suppress(RuntimeError), progress:
            for n in range(5):
                progress.stream(StreamOutcome("acme (org-1)", f"usage_{n}", ""), reading=True)
            if failed:
                raise RuntimeError("the load failed")
        # What stays on screen: the lines drawn after the cursor last went up.
        last = ANSI.sub("", screen.getvalue().rsplit("\x1b[1A", 1)[-1])
        if failed:
            assert len(re.findall(r"  usage_\d\s+0 pages\s+0 rows\s+stopped", last)) == 5
        else:
            assert last.strip() == ""
