"""Faults on demand: one-shot injected faults and a deterministic random fault rate."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from openai_simulator.prng import unit

KINDS = (
    "429",
    "500",
    "502",
    "503",
    "slow",
    "truncated",
    "malformed",
    # Responses the field sends and the simulator's own endpoints never do:
    "no_cursor",  # has_more: true with next_page: null
    "repeat_cursor",  # next_page echoes the cursor just sent (a proxy caching one page)
    "html",  # 200 with a text/html sign-in page (a corporate proxy, a wrong base URL)
    "400",  # invalid_request_error, e.g. a grouping the organization is refused
    "404",  # an endpoint the organization does not have
    "poison",  # one cost amount or usage count that is no number ("NaN")
)


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int | None = 1
    seconds: float = 2.0
    path_contains: str | None = None
    query_contains: str | None = None

    def matches(self, path: str, query: str) -> bool:
        return (self.path_contains is None or self.path_contains in path) and (
            self.query_contains is None or self.query_contains in query
        )


@dataclass(frozen=True)
class FaultDecision:
    kind: str
    retry_after: int | None = None
    seconds: float = 0.0


class FaultInjector:
    """Decides, per request in arrival order, whether it fails and how. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._random: tuple[float, tuple[str, ...], int, str | None] | None = None
        self._counter = 0

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        retry_after: int | None = 1,
        seconds: float = 2.0,
        path_contains: str | None = None,
        query_contains: str | None = None,
    ) -> None:
        """Fail the next `count` matching requests with `kind` (one of KINDS).

        `retry_after=None` sends a 429 without a Retry-After header; `query_contains` matches the
        decoded query string (e.g. "api_key_id" for requests grouped by key).
        """
        _check(kind)
        if count < 1:
            raise ValueError("count must be >= 1")
        if retry_after is not None and retry_after < 1:
            raise ValueError("retry_after must be >= 1 second (or None for no header)")
        with self._lock:
            self._queue.append(Fault(kind, count, retry_after, seconds, path_contains, query_contains))

    def random(
        self,
        rate: float,
        kinds: Iterable[str] = ("429", "503", "malformed"),
        seed: int = 1,
        *,
        path_contains: str | None = None,
    ) -> None:
        """Fail each request with probability `rate`; deterministic in the order requests arrive."""
        kinds = tuple(kinds)
        for k in kinds:
            _check(k)
        if not 0 <= rate <= 1 or not kinds:
            raise ValueError("rate must be in [0, 1] and kinds non-empty")
        with self._lock:
            self._random = (rate, kinds, seed, path_contains)
            self._counter = 0

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._random = None
            self._counter = 0

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._queue)

    def decide(self, path: str, query: str = "") -> FaultDecision | None:
        with self._lock:
            for fault in self._queue:
                if fault.matches(path, query):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._queue.remove(fault)
                    return FaultDecision(fault.kind, fault.retry_after, fault.seconds)
            if self._random is not None:
                rate, kinds, seed, path_contains = self._random
                if path_contains is None or path_contains in path:
                    n = self._counter
                    self._counter += 1
                    if unit(seed, "fault", n) < rate:
                        kind = kinds[int(unit(seed, "fault-kind", n) * len(kinds))]
                        return FaultDecision(kind, 1, 1.0)
        return None


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
