"""Billed costs: usage x the catalog's price table, per (day, project, line item, api key).

Days younger than `restatement_days` are provisional: part of their usage has not been billed yet,
so their amounts rise until they are final, as OpenAI restates recent days.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

from openai_simulator import catalog
from openai_simulator.generator import HOUR, Generator
from openai_simulator.prng import hot_digest
from openai_simulator.world import DAY, Organization, Stream

AMOUNT_QUANTUM = Decimal("1e-12")
QUANTITY_QUANTUM = Decimal("1e-9")
GIB = 1 << 30
FINAL_CACHE_ROWS = 200_000


@dataclass(frozen=True)
class CostAtom:
    """The finest cost row /costs can serve: grouped by project_id, line_item and api_key_id."""

    project_id: str
    line_item: str
    api_key_id: str | None
    quantity: Decimal
    quantity_unit: str | None
    amount: Decimal


def stream_line_items(s: Stream, v: Sequence[int]) -> list[tuple[str, int]]:
    """(line item, billed quantity) of a stream's field vector (vector_stores excluded)."""
    e, dims = s.endpoint, s.dims
    if e == "completions":
        return catalog.completion_line_items(
            str(dims["model"]), str(dims["service_tier"]), bool(dims["batch"]), v
        )
    if e in ("embeddings", "moderations"):
        return [(f"{dims['model']}, input", v[1])]
    if e == "images":
        return [(f"{dims['model']}, {dims['size']}", v[1])]
    if e == "audio_speeches":
        return [(f"{dims['model']}, characters", v[1])]
    if e == "audio_transcriptions":
        return [(f"{dims['model']}, seconds", v[1])]
    if e == "code_interpreter_sessions":
        return [(catalog.LINE_CODE_INTERPRETER, v[0])]
    if e == "file_search_calls":
        return [(catalog.LINE_FILE_SEARCH, v[0])]
    if e == "web_search_calls":
        return [(catalog.LINE_WEB_SEARCH, v[1])]
    if e == "fine_tuning":
        return [(f"{catalog.TEXT_MODELS[str(dims['model'])].billing_name}, training", v[0])]
    if e == "evals":
        return [(f"evals | {dims['model']}, input", v[1]), (f"evals | {dims['model']}, output", v[2])]
    raise ValueError(f"no line items for {e}")


class CostModel:
    def __init__(
        self,
        seed: int,
        generator: Generator,
        price_drift: Decimal,
        restatement_days: int,
        refund_lines: bool = False,
    ) -> None:
        self.seed = seed
        self.refund_lines = refund_lines
        self.generator = generator
        self.multiplier = 1 + price_drift
        self.restatement_days = restatement_days
        # Final days never change: keep recent ones, bounded by row count rather than day count.
        self._final: OrderedDict[tuple[str, int], tuple[CostAtom, ...]] = OrderedDict()
        self._final_rows = 0
        self._lock = threading.Lock()

    def _amount(self, line_item: str, quantity: Decimal) -> Decimal:
        row = catalog.PRICES[line_item]
        return (quantity * row.price * self.multiplier / row.per).quantize(AMOUNT_QUANTUM, ROUND_HALF_EVEN)

    def _quantities(
        self, org: Organization, day: int, until: int | None
    ) -> dict[tuple[str, str, str | None], Decimal]:
        """Billed quantities of a day; `until` cuts a day still in progress."""
        gen, ds = self.generator, day * DAY
        out: dict[tuple[str, str, str | None], Decimal] = {}
        for s in org.streams:
            if s.endpoint == "vector_stores":
                level = gen.level(s, day)
                hours = 24 if until is None else max(0, (until - ds) // HOUR)
                if level and hours:
                    qty = (Decimal(level) * hours / GIB).quantize(QUANTITY_QUANTUM, ROUND_HALF_EVEN)
                    key = (s.project_id, catalog.LINE_VECTOR_STORAGE, None)
                    out[key] = out.get(key, Decimal(0)) + qty
                continue
            v = gen.day(s, day) if until is None else gen.interval(s, ds, until)
            if not v or not v[0]:
                continue
            for line_item, qty in stream_line_items(s, v):
                if qty:
                    key = (s.project_id, line_item, s.api_key_id)
                    out[key] = out.get(key, Decimal(0)) + qty
        return out

    def _atoms(
        self, quantities: dict[tuple[str, str, str | None], Decimal], day: int, age: int | None
    ) -> list[CostAtom]:
        atoms = []
        for (project_id, line_item, key_id), qty in sorted(
            quantities.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
        ):
            if age is not None and age < self.restatement_days:
                # late-arriving usage: a provisional day is missing 2-12 % of its final quantity
                h = hot_digest(
                    self.seed, zlib.crc32(f"{project_id}|{line_item}|{key_id}".encode()), day, age, 2
                )
                missing = (self.restatement_days - age) * (20 + h[0] * 100 // 255) // self.restatement_days
                qty = (qty * (1000 - missing) / 1000).quantize(
                    Decimal(1) if qty == qty.to_integral_value() else QUANTITY_QUANTUM, ROUND_DOWN
                )
                if not qty:
                    continue
            row = catalog.PRICES[line_item]
            atoms.append(
                CostAtom(project_id, line_item, key_id, qty, row.quantity_unit, self._amount(line_item, qty))
            )
        if self.refund_lines and day % 7 == 4 and atoms:
            atoms.append(self._refund(atoms))
        return atoms

    @staticmethod
    def _refund(atoms: Sequence[CostAtom]) -> CostAtom:
        """A tenth of the day's spend of its first project, credited back as a negative line."""
        project_id = atoms[0].project_id
        spend = sum((a.amount for a in atoms if a.project_id == project_id), Decimal(0))
        amount = -(spend / 10).quantize(Decimal("0.01"), ROUND_DOWN)
        return CostAtom(project_id, catalog.LINE_REFUND, None, Decimal(0), None, amount)

    def _final_day(self, org: Organization, day: int) -> tuple[CostAtom, ...]:
        key = (org.org_id, day)
        with self._lock:
            hit = self._final.get(key)
            if hit is not None:
                self._final.move_to_end(key)
                return hit
        atoms = tuple(self._atoms(self._quantities(org, day, None), day, None))
        with self._lock:
            if key not in self._final:
                self._final[key] = atoms
                self._final_rows += len(atoms)
                while self._final_rows > FINAL_CACHE_ROWS and len(self._final) > 1:
                    _, evicted = self._final.popitem(last=False)
                    self._final_rows -= len(evicted)
        return atoms

    def day_atoms(self, org: Organization, day: int, now: int) -> Sequence[CostAtom]:
        """What /costs serves for `day` when the clock reads `now` (epoch seconds)."""
        today = now // DAY
        if day > today or day < self.generator.first_day:
            return ()
        age = today - day
        if age >= self.restatement_days and age > 0:
            return self._final_day(org, day)
        until = now if day == today else None
        return self._atoms(self._quantities(org, day, until), day, age)
