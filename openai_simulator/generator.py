"""Values of a stream over any time interval, computed on demand from the seed.

Top-down and exact: a stream's day total is drawn first (O(1)), then split into hours and minutes
with integer cumulative rounding, so a 1d bucket is exactly the sum of its 1h buckets and of its
1m buckets. A minute belongs to the bucket that contains its start.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain

from openai_simulator.prng import hot_digest
from openai_simulator.world import DAY, Stream

HOUR = 3600
MINUTE = 60
# Monday..Sunday
_WEEKDAY = {
    "interactive": (1.0, 1.06, 1.08, 1.05, 0.97, 0.52, 0.44),
    "batch": (1.0, 1.0, 1.02, 1.0, 1.0, 0.9, 0.85),
    "sparse": (1.0,) * 7,
    "level": (1.0,) * 7,
}
# Relative activity per UTC hour (European and US business hours overlap in the afternoon).
_HOURLY = {
    "interactive": (3, 2, 2, 2, 2, 3, 5, 7, 9, 10, 11, 12, 12, 13, 15, 16, 16, 15, 13, 11, 9, 7, 5, 4),
    "batch": (10, 10, 10, 10, 10, 9, 8, 6, 5, 4, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 8, 9, 10, 10),
    "sparse": (4, 4, 4, 4, 4, 4, 6, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 8, 6, 4, 4, 4, 4),
}
_SALT_HOURS = 0x6F75
_SALT_MINUTES = 0x6D69
_SALT_LEVEL = 0x6C76


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Split an integer over integer weights so the parts sum exactly to `total`."""
    w_sum = sum(weights)
    if total == 0 or w_sum == 0:
        return [0] * len(weights)
    out, acc, prev = [], 0, 0
    for w in weights:
        acc += w
        cur = total * acc // w_sum
        out.append(cur - prev)
        prev = cur
    return out


class Split:
    """A day split into hours (or an hour into minutes), stored flat: 8 bytes per value."""

    __slots__ = ("_data", "_n")

    def __init__(self, rows: Sequence[Sequence[int]]) -> None:
        self._n = len(rows[0])
        self._data = array("q", chain.from_iterable(rows))

    def __getitem__(self, i: int) -> tuple[int, ...]:
        return tuple(self._data[i * self._n : (i + 1) * self._n])

    def primary(self, i: int) -> int:
        return self._data[i * self._n]


def _spread(totals: Sequence[int], weights: Sequence[int]) -> Split:
    """Split the primary count by `weights`, then every other field in proportion to the primary."""
    primary = split(totals[0], weights)
    columns = [primary] + [split(v, primary) for v in totals[1:]]
    return Split(list(zip(*columns, strict=True)))


class Generator:
    """Stream values for one simulator seed. Thread-safe; caches only small per-day splits."""

    def __init__(self, seed: int, first_day: int, streams: Sequence[Stream]) -> None:
        self.seed = seed
        self.first_day = first_day
        self._streams = {s.key: s for s in streams}
        if len(self._streams) != len(streams):
            raise ValueError("stream keys collide")
        # Requests walk buckets in time order, so the working set is about one split per stream.
        size = max(1024, 2 * len(streams))
        self._hours_cached = lru_cache(maxsize=size)(self._hours)
        self._minutes_cached = lru_cache(maxsize=size)(self._minutes)

    def _active(self, s: Stream, day: int) -> bool:
        return day >= s.start_day and day >= self.first_day and (s.end_day is None or day < s.end_day)

    def _mean(self, s: Stream, day: int) -> float:
        mean = s.base * _WEEKDAY[s.profile][(day + 3) % 7] * math.exp(s.growth * (day - s.start_day))
        for a0, a1, factor in s.anomalies:
            if a0 <= day and (a1 is None or day < a1):
                mean *= factor
        return mean

    def day(self, s: Stream, day: int) -> tuple[int, ...]:
        """Totals of the stream's fields over a whole UTC day (primary count first)."""
        n_fields = 1 + len(s.ratios)
        if not self._active(s, day):
            return (0,) * n_fields
        d = hot_digest(self.seed, s.key, day, 0, 32)
        if s.profile == "sparse" and d[31] > 50:
            return (0,) * n_fields
        z = (d[0] + d[1] + d[2] + d[3] - 510) / 147.8  # ~N(0, 1)
        n = int(self._mean(s, day) * math.exp(s.noise * z) + d[4] / 256)
        if n <= 0:
            return (0,) * n_fields
        vals = [n]
        for i, r in enumerate(s.ratios):
            vals.append(int(n * r * (0.85 + d[5 + i] / 850) + 0.5) if r else 0)
        return tuple(vals)

    def level(self, s: Stream, day: int) -> int:
        """A stock (bytes stored) on a day; constant within the day."""
        if not self._active(s, day):
            return 0
        d = hot_digest(self.seed, s.key, day, _SALT_LEVEL, 4)
        jitter = 1 + (d[0] - 128) / 2560
        return int(s.base * math.exp(s.growth * (day - s.start_day)) * jitter)

    def _hours(self, key: int, day: int) -> Split | None:
        s = self._streams[key]
        totals = self.day(s, day)
        if not totals[0]:
            return None
        d = hot_digest(self.seed, key, day, _SALT_HOURS, 24)
        profile = _HOURLY.get(s.profile, _HOURLY["interactive"])
        return _spread(totals, [profile[h] * (32 + d[h]) for h in range(24)])

    def hours(self, s: Stream, day: int) -> Split | None:
        """The day split into 24 hourly vectors, or None when the day is empty."""
        return self._hours_cached(s.key, day)

    def _minutes(self, key: int, day: int, hour: int) -> Split | None:
        hours = self._hours_cached(key, day)
        if hours is None or not hours.primary(hour):
            return None
        d = hot_digest(self.seed, key, day * 24 + hour, _SALT_MINUTES, 64)
        return _spread(hours[hour], [8 + d[m] for m in range(60)])

    def bucket(self, s: Stream, start: int, end: int) -> tuple[int, ...] | None:
        """Like `interval`, with fast paths for whole aligned days and hours."""
        if end - start == MINUTE and start % MINUTE == 0:
            day, hour = start // DAY, (start % DAY) // HOUR
            if not self._active(s, day):
                return None
            minutes = self._minutes_cached(s.key, day, hour)
            if minutes is None:
                return None
            v = minutes[(start % HOUR) // MINUTE]
            return v if v[0] else None
        if start % HOUR == 0:
            if end - start == DAY and start % DAY == 0:
                v = self.day(s, start // DAY)
                return v if v[0] else None
            if end - start == HOUR:
                day = start // DAY
                if not self._active(s, day):
                    return None
                hours = self.hours(s, day)
                if hours is None:
                    return None
                v = hours[(start - day * DAY) // HOUR]
                return v if v[0] else None
        return self.interval(s, start, end)

    def interval(self, s: Stream, start: int, end: int) -> tuple[int, ...] | None:
        """Field totals of the activity whose minute starts in [start, end); None if nothing."""
        acc: list[int] | None = None

        def add(v: Sequence[int]) -> None:
            nonlocal acc
            if acc is None:
                acc = list(v)
            else:
                for i, x in enumerate(v):
                    acc[i] += x

        # a minute is included iff its start lies in the window
        start = -(-start // MINUTE) * MINUTE
        end = -(-end // MINUTE) * MINUTE
        for day in range(start // DAY, (end - 1) // DAY + 1 if end > start else start // DAY):
            ds = day * DAY
            lo, hi = max(start, ds), min(end, ds + DAY)
            if lo >= hi or not self._active(s, day):
                continue
            if lo == ds and hi == ds + DAY:
                v = self.day(s, day)
                if v[0]:
                    add(v)
                continue
            hours = self.hours(s, day)
            if hours is None:
                continue
            for h in range((lo - ds) // HOUR, (hi - 1 - ds) // HOUR + 1):
                hs = ds + h * HOUR
                if not hours.primary(h):
                    continue
                if lo <= hs and hs + HOUR <= hi:
                    add(hours[h])
                    continue
                minutes = self._minutes_cached(s.key, day, h)
                if minutes is None:
                    continue
                for m in range(max(0, (lo - hs) // MINUTE), min(60, (hi - hs) // MINUTE)):
                    if minutes.primary(m):
                        add(minutes[m])
        return None if acc is None else tuple(acc)
