"""Endpoints, models and the price table the simulated organization bills with.

The price table is the single source of truth for what the simulator charges; the dbt price seed
copies it (`python -m openai_simulator --print-prices` writes it as CSV).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

D = Decimal
MILLION = 1_000_000


@dataclass(frozen=True)
class UsageEndpoint:
    name: str  # path segment under /organization/usage/
    result_object: str
    fields: tuple[str, ...]  # generated base fields; fields[0] is the primary count
    group_dims: tuple[str, ...]
    filters: tuple[tuple[str, str], ...]  # (query parameter, dimension)
    level: bool = False  # a stock (bytes stored), not a flow: not summed over time


_USER_FILTERS = (("project_ids", "project_id"), ("user_ids", "user_id"), ("api_key_ids", "api_key_id"))
_MODEL_DIMS = ("project_id", "user_id", "api_key_id", "model")

COMPLETION_FIELDS = (
    "num_model_requests",
    "input_text_tokens",
    "input_audio_tokens",
    "input_image_tokens",
    "input_cached_text_tokens",
    "input_cached_audio_tokens",
    "input_cached_image_tokens",
    "input_cache_write_tokens",
    "output_text_tokens",
    "output_audio_tokens",
    "output_image_tokens",
)

ENDPOINTS: dict[str, UsageEndpoint] = {
    e.name: e
    for e in (
        UsageEndpoint(
            "completions",
            "organization.usage.completions.result",
            COMPLETION_FIELDS,
            (*_MODEL_DIMS, "batch", "service_tier"),
            (*_USER_FILTERS, ("models", "model"), ("batch", "batch")),
        ),
        UsageEndpoint(
            "embeddings",
            "organization.usage.embeddings.result",
            ("num_model_requests", "input_tokens"),
            _MODEL_DIMS,
            (*_USER_FILTERS, ("models", "model")),
        ),
        UsageEndpoint(
            "moderations",
            "organization.usage.moderations.result",
            ("num_model_requests", "input_tokens"),
            _MODEL_DIMS,
            (*_USER_FILTERS, ("models", "model")),
        ),
        UsageEndpoint(
            "images",
            "organization.usage.images.result",
            ("num_model_requests", "images"),
            (*_MODEL_DIMS, "size", "source"),
            (*_USER_FILTERS, ("models", "model"), ("sources", "source"), ("sizes", "size")),
        ),
        UsageEndpoint(
            "audio_speeches",
            "organization.usage.audio_speeches.result",
            ("num_model_requests", "characters"),
            _MODEL_DIMS,
            (*_USER_FILTERS, ("models", "model")),
        ),
        UsageEndpoint(
            "audio_transcriptions",
            "organization.usage.audio_transcriptions.result",
            ("num_model_requests", "seconds"),
            _MODEL_DIMS,
            (*_USER_FILTERS, ("models", "model")),
        ),
        UsageEndpoint(
            "vector_stores",
            "organization.usage.vector_stores.result",
            ("usage_bytes",),
            ("project_id",),
            (("project_ids", "project_id"),),
            level=True,
        ),
        UsageEndpoint(
            "code_interpreter_sessions",
            "organization.usage.code_interpreter_sessions.result",
            ("num_sessions",),
            ("project_id",),
            (("project_ids", "project_id"),),
        ),
        UsageEndpoint(
            "file_search_calls",
            "organization.usage.file_searches.result",
            ("num_requests",),
            ("project_id", "user_id", "api_key_id", "vector_store_id"),
            (*_USER_FILTERS, ("vector_store_ids", "vector_store_id")),
        ),
        UsageEndpoint(
            "web_search_calls",
            "organization.usage.web_searches.result",
            ("num_model_requests", "num_requests"),
            (*_MODEL_DIMS, "context_level"),
            (*_USER_FILTERS, ("models", "model"), ("context_levels", "context_level")),
        ),
    )
}

# Spend that exists only in /costs (no usage endpoint reports it), as with live OpenAI.
COST_ONLY_STREAMS: dict[str, tuple[str, ...]] = {
    "fine_tuning": ("training_tokens",),
    "evals": ("num_model_requests", "input_tokens", "output_tokens"),
}

ENUM_VALUES: dict[str, tuple[str, ...]] = {
    "source": ("image.generation", "image.edit", "image.variation"),
    "size": ("256x256", "512x512", "1024x1024", "1792x1792", "1024x1792"),
    "context_level": ("low", "medium", "high"),
}

COSTS_GROUP_DIMS = ("project_id", "line_item", "api_key_id")


@dataclass(frozen=True)
class TextModel:
    name: str
    billing_name: str  # how line items spell it (fine-tuned models: "ft-<base>")
    # tier -> (input, cached input or None, output), USD per 1M tokens; tiers: default, batch, flex, priority
    tiers: dict[str, tuple[Decimal, Decimal | None, Decimal]]
    audio: tuple[Decimal, Decimal, Decimal] | None = None
    image: tuple[Decimal, Decimal, Decimal] | None = None
    cache_write: bool = False


TEXT_MODELS: dict[str, TextModel] = {
    m.name: m
    for m in (
        TextModel(
            "gpt-4o-2024-08-06",
            "gpt-4o-2024-08-06",
            {"default": (D("2.50"), D("1.25"), D("10.00")), "batch": (D("1.25"), None, D("5.00"))},
            image=(D("2.50"), D("1.25"), D("10.00")),
        ),
        TextModel(
            "gpt-4o-mini-2024-07-18",
            "gpt-4o-mini-2024-07-18",
            {"default": (D("0.15"), D("0.075"), D("0.60")), "batch": (D("0.075"), None, D("0.30"))},
            audio=(D("10.00"), D("0.30"), D("20.00")),
        ),
        TextModel(
            "gpt-4.1-2025-04-14",
            "gpt-4.1-2025-04-14",
            {
                "default": (D("2.00"), D("0.50"), D("8.00")),
                "batch": (D("1.00"), None, D("4.00")),
                "priority": (D("3.50"), D("0.875"), D("14.00")),
            },
            image=(D("2.00"), D("0.50"), D("8.00")),
            cache_write=True,
        ),
        TextModel(
            "gpt-4.1-mini-2025-04-14",
            "gpt-4.1-mini-2025-04-14",
            {"default": (D("0.40"), D("0.10"), D("1.60")), "batch": (D("0.20"), None, D("0.80"))},
        ),
        TextModel(
            "o3-2025-04-16",
            "o3-2025-04-16",
            {"default": (D("2.00"), D("0.50"), D("8.00")), "flex": (D("1.00"), D("0.25"), D("4.00"))},
        ),
        TextModel(
            "gpt-5-2025-08-07",
            "gpt-5-2025-08-07",
            {
                "default": (D("1.25"), D("0.125"), D("10.00")),
                "batch": (D("0.625"), None, D("5.00")),
                "flex": (D("0.625"), D("0.0625"), D("5.00")),
                "priority": (D("2.50"), D("0.25"), D("20.00")),
            },
            cache_write=True,
        ),
        TextModel(
            "ft:gpt-4o-2024-08-06:sim::A1b2C3d4",
            "ft-gpt-4o-2024-08-06",
            {"default": (D("3.75"), D("1.875"), D("15.00"))},
        ),
        # The "new expensive model" of the new_model anomaly.
        TextModel("o1-pro-2025-03-19", "o1-pro-2025-03-19", {"default": (D("150.00"), None, D("600.00"))}),
    )
}

FINE_TUNED_MODEL = "ft:gpt-4o-2024-08-06:sim::A1b2C3d4"
NEW_EXPENSIVE_MODEL = "o1-pro-2025-03-19"
EVALS_MODEL = "gpt-4o-mini-2024-07-18"
# Everyday completions models (weights for how often keys use them).
EVERYDAY_MODELS: tuple[tuple[str, int], ...] = (
    ("gpt-4o-mini-2024-07-18", 5),
    ("gpt-4o-2024-08-06", 3),
    ("gpt-4.1-2025-04-14", 3),
    ("gpt-4.1-mini-2025-04-14", 3),
    ("gpt-5-2025-08-07", 3),
    ("o3-2025-04-16", 1),
)

EMBEDDING_MODELS = {
    "text-embedding-3-small": D("0.02"),
    "text-embedding-3-large": D("0.13"),
    "text-embedding-ada-002-v2": D("0.10"),
}
MODERATION_MODELS = {"omni-moderation-2024-09-26": D("0")}
# model -> size -> USD per image; sources allowed per model
IMAGE_MODELS: dict[str, dict[str, Decimal]] = {
    "dall-e-3": {"1024x1024": D("0.040"), "1024x1792": D("0.080")},
    "dall-e-2": {"256x256": D("0.016"), "512x512": D("0.018"), "1024x1024": D("0.020")},
}
IMAGE_SOURCES = {"dall-e-3": ("image.generation",), "dall-e-2": ENUM_VALUES["source"]}
SPEECH_MODELS = {"tts-1": D("15.00"), "tts-1-hd": D("30.00")}  # per 1M characters
TRANSCRIPTION_MODELS = {"whisper-1": D("0.0001")}  # per second
WEB_SEARCH_MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14", "gpt-5-2025-08-07")
TRAINING_PRICE = D("25.00")  # per 1M training tokens

LINE_CODE_INTERPRETER = "assistants api | code interpreter"
LINE_FILE_SEARCH = "assistants api | file search"
LINE_VECTOR_STORAGE = "assistants api | file search storage"
LINE_WEB_SEARCH = "web search tool calls"
# A credit line OpenAI bills as a negative amount; no price row, no unit.
LINE_REFUND = "refund, service credit"


@dataclass(frozen=True)
class PriceRow:
    line_item: str
    product: str
    model: str | None
    token_type: str | None  # input, cached_input, output, audio_*, image_*, training, ...
    service_tier: str | None
    batch: bool
    quantity_unit: str
    price: Decimal  # USD per `per` units
    per: int

    @property
    def unit_price(self) -> Decimal:
        return self.price / self.per


def _tier_prefix(tier: str) -> str:
    return "" if tier == "default" else f"{tier} "


def _build_price_table() -> tuple[PriceRow, ...]:
    rows: list[PriceRow] = []
    for m in TEXT_MODELS.values():
        for tier, (inp, cached, out) in m.tiers.items():
            p = _tier_prefix(tier)
            service_tier = "default" if tier == "batch" else tier
            batch = tier == "batch"
            b = m.billing_name
            rows.append(
                PriceRow(
                    f"{b}, {p}input",
                    "completions",
                    m.name,
                    "input",
                    service_tier,
                    batch,
                    "tokens",
                    inp,
                    MILLION,
                )
            )
            if cached is not None:
                rows.append(
                    PriceRow(
                        f"{b}, {p}cached input",
                        "completions",
                        m.name,
                        "cached_input",
                        service_tier,
                        batch,
                        "tokens",
                        cached,
                        MILLION,
                    )
                )
            rows.append(
                PriceRow(
                    f"{b}, {p}output",
                    "completions",
                    m.name,
                    "output",
                    service_tier,
                    batch,
                    "tokens",
                    out,
                    MILLION,
                )
            )
        for modality, prices in (("audio", m.audio), ("image", m.image)):
            if prices is None:
                continue
            for direction, price in zip(("input", "cached input", "output"), prices, strict=True):
                rows.append(
                    PriceRow(
                        f"{m.billing_name} {modality}, {direction}",
                        "completions",
                        m.name,
                        f"{modality}_{direction.replace(' ', '_')}",
                        "default",
                        False,
                        "tokens",
                        price,
                        MILLION,
                    )
                )
    ft = TEXT_MODELS[FINE_TUNED_MODEL]
    rows.append(
        PriceRow(
            f"{ft.billing_name}, training",
            "fine_tuning",
            ft.name,
            "training",
            None,
            False,
            "tokens",
            TRAINING_PRICE,
            MILLION,
        )
    )
    evals = TEXT_MODELS[EVALS_MODEL].tiers["default"]
    rows.append(
        PriceRow(
            f"evals | {EVALS_MODEL}, input",
            "evals",
            EVALS_MODEL,
            "input",
            None,
            False,
            "tokens",
            evals[0],
            MILLION,
        )
    )
    rows.append(
        PriceRow(
            f"evals | {EVALS_MODEL}, output",
            "evals",
            EVALS_MODEL,
            "output",
            None,
            False,
            "tokens",
            evals[2],
            MILLION,
        )
    )
    for model, price in EMBEDDING_MODELS.items():
        rows.append(
            PriceRow(f"{model}, input", "embeddings", model, "input", None, False, "tokens", price, MILLION)
        )
    for model, price in MODERATION_MODELS.items():
        rows.append(
            PriceRow(f"{model}, input", "moderations", model, "input", None, False, "tokens", price, MILLION)
        )
    for model, sizes in IMAGE_MODELS.items():
        for size, price in sizes.items():
            rows.append(
                PriceRow(f"{model}, {size}", "images", model, "image", None, False, "images", price, 1)
            )
    for model, price in SPEECH_MODELS.items():
        rows.append(
            PriceRow(
                f"{model}, characters",
                "audio_speeches",
                model,
                "characters",
                None,
                False,
                "characters",
                price,
                MILLION,
            )
        )
    for model, price in TRANSCRIPTION_MODELS.items():
        rows.append(
            PriceRow(
                f"{model}, seconds",
                "audio_transcriptions",
                model,
                "seconds",
                None,
                False,
                "duration_seconds",
                price,
                1,
            )
        )
    rows.append(
        PriceRow(
            LINE_CODE_INTERPRETER,
            "code_interpreter_sessions",
            None,
            "session",
            None,
            False,
            "sessions",
            D("0.03"),
            1,
        )
    )
    rows.append(
        PriceRow(LINE_FILE_SEARCH, "file_search_calls", None, "call", None, False, "calls", D("2.50"), 1000)
    )
    rows.append(
        PriceRow(LINE_WEB_SEARCH, "web_search_calls", None, "call", None, False, "calls", D("10.00"), 1000)
    )
    rows.append(
        PriceRow(
            LINE_VECTOR_STORAGE,
            "vector_stores",
            None,
            "storage",
            None,
            False,
            "gibibyte_hours",
            D("0.004"),
            1,
        )
    )
    return tuple(rows)


PRICE_TABLE: tuple[PriceRow, ...] = _build_price_table()
PRICES: dict[str, PriceRow] = {r.line_item: r for r in PRICE_TABLE}
if len(PRICES) != len(PRICE_TABLE):
    raise RuntimeError("duplicate line items in the price table")


def completion_line_items(model: str, tier: str, batch: bool, v: Sequence[int]) -> list[tuple[str, int]]:
    """Billed (line item, tokens) of a completions base vector (see COMPLETION_FIELDS)."""
    _, in_text, in_audio, in_image, c_text, c_audio, c_image, c_write, out_text, out_audio, out_image = v
    b = TEXT_MODELS[model].billing_name
    p = "batch " if batch else _tier_prefix(tier)
    # OpenAI bills cache writes at the normal input rate, so they fold into "<model>, input".
    items = [
        (f"{b}, {p}input", in_text + c_write),
        (f"{b}, {p}cached input", c_text),
        (f"{b}, {p}output", out_text),
    ]
    items += [
        (f"{b} audio, input", in_audio),
        (f"{b} audio, cached input", c_audio),
        (f"{b} audio, output", out_audio),
    ]
    items += [
        (f"{b} image, input", in_image),
        (f"{b} image, cached input", c_image),
        (f"{b} image, output", out_image),
    ]
    return [(li, q) for li, q in items if q]


def price_table_csv() -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "line_item",
            "product",
            "model",
            "token_type",
            "service_tier",
            "batch",
            "quantity_unit",
            "price_usd",
            "per_units",
        ]
    )
    for r in PRICE_TABLE:
        w.writerow(
            [
                r.line_item,
                r.product,
                r.model or "",
                r.token_type or "",
                r.service_tier or "",
                str(r.batch).lower(),
                r.quantity_unit,
                r.price,
                r.per,
            ]
        )
    return out.getvalue()
