"""Progress of a load: on a terminal a live display per organization and stream, otherwise nothing new.

`progress_for` picks the reporter once per run. stdout a terminal (no `--quiet`, TERM not dumb):
`TerminalProgress`, a live display (rich) with one task per stream (a usage endpoint, a costs
grouping, a metadata list) under its organization, counting pages fetched and rows read, each
finished stream marked done, and log lines printed above it. Anything else (cron, CI, a pipe, a
file): `ProgressReporter`, which shows nothing; the log lines the loader always wrote are the progress.

The reporter is handed down to the run's RunContext (loader/source.py), which calls `stream` where
a stream starts, counts a page and stops, and `step` between the pipeline's steps. A display that
fails turns itself off and the load goes on with plain log lines: progress never fails a load. It
shows organization labels, table names, group-by sets, counts and steps; never a key or an error.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Self, TextIO, TypeVar

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import Progress, ProgressColumn, Task, TaskID
from rich.spinner import Spinner
from rich.table import Column
from rich.text import Text

if TYPE_CHECKING:
    from loader.source import StreamOutcome

log = logging.getLogger("loader")

_Method = TypeVar("_Method", bound=Callable[..., Any])
# A stream's states as the display names them; `waiting` is between two slices of its window.
RUNNING, WAITING, DONE = "running", "waiting", "done"
WARNING, FAILED, STOPPED = "warning", "failed", "stopped"
_STYLES = {DONE: "green", WARNING: "yellow", FAILED: "bold red", WAITING: "dim", STOPPED: "dim"}
StreamKey = tuple[str, str, str]  # organization label, table, group-by set


class ProgressReporter:
    """Shows nothing: the loader's log lines are its progress (not a terminal, or --quiet)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def stream(self, outcome: StreamOutcome, *, reading: bool) -> None:
        """A stream started or read a page (`reading`), or stopped reading (done, failed, or
        waiting for its next slice)."""

    def step(self, text: str) -> None:
        """The pipeline moved on ("slice 2: normalizing")."""


def progress_for(quiet: bool, stdout: TextIO | None = None) -> ProgressReporter:
    """The live display when stdout is a terminal rich can draw on, else the plain reporter."""
    stdout = sys.stdout if stdout is None else stdout
    try:
        if quiet or not _is_tty(stdout):
            return ProgressReporter()
        console = Console(file=stdout)
        # rich's judgement as well: TERM=dumb or unknown, TTY_COMPATIBLE=0 (NO_COLOR drops colours only).
        if not console.is_terminal or console.is_dumb_terminal:
            return ProgressReporter()
        # Log lines go to stderr: drawn above the display when stderr is the terminal too, else left
        # where stderr points (a file, a pipe).
        return TerminalProgress(console, redirect_stderr=_is_tty(sys.stderr))
    except Exception as error:  # no display is better than no load
        log.debug("no progress display (%s)", type(error).__name__)
        return ProgressReporter()


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _guarded(method: _Method) -> _Method:
    """An error in the display turns the display off; it never reaches the load."""

    @functools.wraps(method)
    def guarded(self: TerminalProgress, *args: Any, **kwargs: Any) -> Any:
        if not self.broken:
            try:
                method(self, *args, **kwargs)
            except Exception as error:
                self.give_up(error)
        return self

    return guarded  # type: ignore[return-value]


class TerminalProgress(ProgressReporter):
    """A live display: each organization with its totals, under it each stream with its counts."""

    def __init__(self, console: Console, *, redirect_stderr: bool, refresh_per_second: float = 4) -> None:
        self.console = console
        self.broken = False
        self.show_all = False  # every stream however tall: the last frame of a run that failed
        self._step = "starting"
        self._began = time.monotonic()
        self._drawing_failed: BaseException | None = None  # raised in rich's refresh thread
        self._orgs: dict[str, TaskID] = {}
        self._streams: dict[StreamKey, TaskID] = {}
        self._counts: dict[StreamKey, tuple[int, int, str]] = {}  # pages, rows, state
        self._spinner = Spinner("dots" if console.encoding.lower().startswith("utf") else "line")
        # Holds the tasks and lays out their table; never started: the Live below draws.
        self.tasks = Progress(
            _Cell(self._name, Column(no_wrap=True)),
            _Cell(lambda task: _count(task.fields["pages"], "page"), Column(justify="right", no_wrap=True)),
            _Cell(lambda task: _count(task.fields["rows"], "row"), Column(justify="right", no_wrap=True)),
            _Cell(self._status, Column(no_wrap=True, min_width=7)),
            _Cell(lambda task: Text(task.fields["detail"]), Column(no_wrap=True, style="dim")),
            console=console,
            auto_refresh=False,
        )
        self._live = _SafeLive(
            self,
            console=console,
            get_renderable=self._render,
            refresh_per_second=refresh_per_second,
            redirect_stdout=True,
            redirect_stderr=redirect_stderr,
        )

    @_guarded
    def __enter__(self) -> Self:
        self._began = time.monotonic()
        self._live.start(refresh=True)
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        self._close(failed=exc_type is not None)

    @_guarded
    def _close(self, failed: bool) -> None:
        for key, (pages, rows, state) in self._counts.items():
            if state in (RUNNING, WAITING):
                self._set(key, pages, rows, STOPPED)
        # The summary that follows a finished run says it all: the display goes. A run that failed
        # leaves it where it stopped, every stream shown.
        self.show_all = failed and bool(self._streams)
        self._live.transient = not self.show_all
        self._live.stop()

    @_guarded
    def stream(self, outcome: StreamOutcome, *, reading: bool) -> None:
        self._raise_drawing_failure()
        if outcome.error:
            state = FAILED
        elif outcome.warning:
            state = WARNING
        elif outcome.completed:
            state = DONE
        else:
            state = RUNNING if reading else WAITING
        key = (outcome.org, outcome.table, outcome.group_by)
        if outcome.org not in self._orgs:
            self._orgs[outcome.org] = self._add(outcome.org, "org", len(self._orgs), "")
        if key not in self._streams:
            order = list(self._orgs).index(outcome.org)
            self._streams[key] = self._add(outcome.table, "stream", order, outcome.group_by)
        self._set(key, outcome.pages, outcome.rows, state)

    @_guarded
    def step(self, text: str) -> None:
        self._raise_drawing_failure()
        self._step = text

    def give_up(self, error: BaseException) -> None:
        """Stop drawing for the rest of the run; the log lines go on as without a terminal."""
        if self.broken:
            return
        self.broken = True
        with contextlib.suppress(Exception):
            self._live.transient = False
            self._live.stop()
        # The type only: a message from inside rich or the terminal is not ours to repeat.
        log.warning(
            "progress display turned off after an error in it (%s); the load goes on", type(error).__name__
        )

    def _add(self, description: str, kind: str, order: int, detail: str) -> TaskID:
        """A task; `order` is its organization's place, the first seen first."""
        return self.tasks.add_task(
            description, total=None, kind=kind, order=order, pages=0, rows=0, state="", detail=detail
        )

    def _set(self, key: StreamKey, pages: int, rows: int, state: str) -> None:
        self._counts[key] = (pages, rows, state)
        self.tasks.update(self._streams[key], pages=pages, rows=rows, state=state)
        org = key[0]
        mine = [counts for stream, counts in self._counts.items() if stream[0] == org]
        done = sum(state in (DONE, WARNING) for _, _, state in mine)
        failed = sum(state == FAILED for _, _, state in mine)
        self.tasks.update(
            self._orgs[org],
            pages=sum(pages for pages, _, _ in mine),
            rows=sum(rows for _, rows, _ in mine),
            detail=f"{done} of {len(mine)} streams done" + (f", {failed} failed" if failed else ""),
        )

    def rows(self, height: int) -> list[Task]:
        """The tasks to draw, each organization's line above its streams, fitted to the terminal:
        while too tall, finished streams are left out (their organization's line counts them), then
        those waiting for their next slice, then all but the organizations' lines."""
        ordered = sorted(
            self.tasks.tasks, key=lambda task: (task.fields["order"], task.fields["kind"] != "org", task.id)
        )
        if self.show_all:
            return ordered
        for shown in (
            {RUNNING, WAITING, FAILED, WARNING, STOPPED, DONE},
            {RUNNING, WAITING, FAILED},
            {RUNNING},
        ):
            rows = [task for task in ordered if task.fields["kind"] == "org" or task.fields["state"] in shown]
            if len(rows) + 1 <= height:  # and the line of the step below them
                return rows
        return [task for task in ordered if task.fields["kind"] == "org"]

    def _render(self) -> RenderableType:
        try:
            elapsed = timedelta(seconds=int(time.monotonic() - self._began))
            table = self.tasks.make_tasks_table(self.rows(self.console.size.height))
            return Group(table, Text(f"{self._step}  {elapsed}", "dim"))
        except Exception as error:
            self._drawing_failed = error
            return Text("")

    def _status(self, task: Task) -> RenderableType:
        state = task.fields["state"]
        if state == RUNNING:
            return self._spinner.render(task.get_time())
        return Text(state, _STYLES.get(state, ""))

    def _name(self, task: Task) -> RenderableType:
        if task.fields["kind"] == "org":
            return Text(task.description, "bold")
        return Text(f"  {task.description}")

    def _raise_drawing_failure(self) -> None:
        if self._drawing_failed is not None:
            raise self._drawing_failed


class _Cell(ProgressColumn):
    """A column drawn by a function of the task; plain Text, so no label is read as rich markup."""

    def __init__(self, draw: Callable[[Task], RenderableType], column: Column) -> None:
        super().__init__(table_column=column)
        self._draw = draw

    def render(self, task: Task) -> RenderableType:
        return self._draw(task)


class _SafeLive(Live):
    """rich's Live, whose refresh thread notes a failure to draw instead of dying with a traceback."""

    def __init__(self, owner: TerminalProgress, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner = owner

    def refresh(self) -> None:
        try:
            super().refresh()
        except Exception as error:
            self._owner._drawing_failed = error


def _count(number: int, noun: str) -> Text:
    return Text(f"{number:,} {noun}{'' if number == 1 else 's'}")
