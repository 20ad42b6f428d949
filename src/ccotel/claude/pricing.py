"""What a Claude request cost, from the maintained `genai-prices` tables.

Claude Code's own `cost_usd` (on `api_request` events) comes from the same public prices;
`genai-prices` reproduces it, including the 5-minute / 1-hour cache-write split that
ccusage got wrong for months. Transcripts carry no cost, so the importer prices each
request here.

`genai-prices` takes 0.1 ms per call; a multi-GB history has millions of requests, so
the price table of a model is resolved once per (model, speed, day) and applied with
plain Decimal arithmetic. Anything this fast path does not understand falls back to
the library itself (the tests check both agree on every Anthropic model).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

_MTOK = Decimal(1_000_000)
# Price keys the fast path applies; a model priced with anything else (a per-request fee,
# say) is computed by genai-prices itself. Web searches are billed apart from tokens and
# transcripts do not count them.
_FAST_KEYS = frozenset({"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok",
                        "cache_write_5m_mtok", "cache_write_1h_mtok", "web_searches_kcount"})


@dataclass(frozen=True)
class TokenCounts:
    """One request's usage as the Anthropic API reports it: `input` excludes the cache."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    @property
    def all_input(self) -> int:
        """Every input token, cached or not: what genai-prices calls `input_tokens`."""
        return self.input + self.cache_read + self.cache_write_5m + self.cache_write_1h


def normalize_model(model: str) -> str:
    """Bedrock / Vertex spellings (`us.anthropic.claude-x-v1:0`, `claude-x@2025...`) to the
    Anthropic model id the price tables know."""
    m = model.strip().lower()
    if "anthropic." in m:
        m = m.split("anthropic.", 1)[1]
    for suffix in ("-v1:0", "-v2:0", ":0"):
        m = m.removesuffix(suffix)
    return m.replace("@", "-")


@dataclass(frozen=True)
class PicoRates:
    """Prices per token in picodollars (1e-12 USD): integers, so sums are exact. Past
    `tier_start` input tokens (cached or not), every token costs the `tier` rates."""

    input: int
    output: int
    cache_read: int
    write_5m: int
    write_1h: int
    tier_start: int | None = None
    tier: tuple[int, int, int, int, int] | None = None


_PICO_PER_MTOK_USD = Decimal(1_000_000)


def _pico(rate: Decimal) -> int | None:
    v = rate * _PICO_PER_MTOK_USD
    return int(v) if v == v.to_integral_value() else None


class _Table:
    """The resolved prices of one model on one day, applied without genai-prices."""

    def __init__(self, model_price: Any) -> None:
        self.model_price = model_price
        prices = {k: v for k, v in vars(model_price).items()
                  if not k.startswith("_") and v is not None}
        self.fast = set(prices) <= _FAST_KEYS
        self.input = prices.get("input_mtok")
        self.output = prices.get("output_mtok")
        self.cache_read = prices.get("cache_read_mtok")
        generic_write = prices.get("cache_write_mtok")
        self.write_5m = prices.get("cache_write_5m_mtok", generic_write)
        self.write_1h = prices.get("cache_write_1h_mtok", generic_write)

    def cost(self, t: TokenCounts) -> Decimal:
        if not self.fast:
            return self._library_cost(t)
        total = t.all_input
        parts = ((self.input, t.input), (self.output, t.output),
                 (self.cache_read, t.cache_read), (self.write_5m, t.cache_write_5m),
                 (self.write_1h, t.cache_write_1h))
        cost = Decimal(0)
        for rate, count in parts:
            if not count:
                continue
            if rate is None:
                # No price for this kind of token: let the library decide how to bill it.
                return self._library_cost(t)
            cost += _rate_at(rate, total) * count
        return cost / _MTOK

    def _library_cost(self, t: TokenCounts) -> Decimal:
        from genai_prices import Usage

        return Decimal(str(self.model_price.calc_price(_usage(Usage, t))["total_price"]))

    def pico_rates(self) -> PicoRates | Literal["library"]:
        """These prices as integer picodollars per token, or "library" when they are not
        that simple (a price key the fast path lacks, several tiers, sub-picodollar)."""
        maybe = (self.input, self.output, self.cache_read, self.write_5m, self.write_1h)
        rates = [r for r in maybe if r is not None]
        if not self.fast or len(rates) != len(maybe):
            return "library"
        tiered = [r for r in rates if not isinstance(r, Decimal)]
        starts = {r.tiers[0].start for r in tiered if len(r.tiers) == 1}
        if any(len(r.tiers) != 1 for r in tiered) or len(starts) > 1:
            return "library"
        base = [_pico(r if isinstance(r, Decimal) else Decimal(r.base)) for r in rates]
        tier = [_pico(r if isinstance(r, Decimal) else Decimal(r.tiers[0].price))
                for r in rates]
        if None in base or None in tier:
            return "library"
        b0, b1, b2, b3, b4 = (int(x or 0) for x in base)
        if not starts:
            return PicoRates(b0, b1, b2, b3, b4)
        t0, t1, t2, t3, t4 = (int(x or 0) for x in tier)
        return PicoRates(b0, b1, b2, b3, b4, tier_start=starts.pop(),
                         tier=(t0, t1, t2, t3, t4))


def _rate_at(rate: Any, total_input: int) -> Decimal:
    """A flat rate, or the tier of a TieredPrices that this request's input reaches
    (Anthropic's long-context tiers bill every token at the higher rate)."""
    if isinstance(rate, Decimal):
        return rate
    applicable = rate.base
    for tier in reversed(rate.tiers):
        if total_input > tier.start:
            return Decimal(tier.price)
    return Decimal(applicable)


def _usage(usage_cls: Any, t: TokenCounts) -> Any:
    return usage_cls(input_tokens=t.all_input, output_tokens=t.output,
                     cache_read_tokens=t.cache_read,
                     cache_write_tokens=t.cache_write_5m + t.cache_write_1h,
                     cache_write_5m_tokens=t.cache_write_5m,
                     cache_write_1h_tokens=t.cache_write_1h)


class Pricer:
    """Prices requests; remembers which models it could not price."""

    def __init__(self) -> None:
        self._tables: dict[tuple[str, str | None, date], _Table | None] = {}
        self.unpriced: set[str] = set()

    def price(self, model: str | None, when: datetime, tokens: TokenCounts,
              speed: str | None = None) -> Decimal | None:
        """USD for one request, or None when no price is known for `model`."""
        if not model:
            return None
        table = self._table(model, when.date(), speed)
        return None if table is None else table.cost(tokens)

    def _table(self, model: str, day: date, speed: str | None) -> _Table | None:
        key = (model, speed if speed == "fast" else None, day)
        if key not in self._tables:
            self._tables[key] = _resolve(model, key[1], day)
        table = self._tables[key]
        if table is None:
            self.unpriced.add(model)
        return table


    def pico_rates(self, model: str, day: date, speed: str | None = None
                   ) -> PicoRates | Literal["library"] | None:
        """Per-token rates in picodollars, for pricing many requests in SQL: None when the
        model has no price, "library" when its table is not linear (price row by row)."""
        table = self._table(model, day, speed)
        return None if table is None else table.pico_rates()




def preload() -> None:
    """Load genai-prices' tables now rather than at the first price (~0.1 s: a bulk
    import does it in a thread while DuckDB reads the transcripts)."""
    from genai_prices import data_snapshot

    data_snapshot.get_snapshot()


@lru_cache(maxsize=1024)
def _model_info(model: str) -> Any:
    """genai-prices' entry for a model name (matching scans every model: done once)."""
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    for ref in dict.fromkeys((model, normalize_model(model))):
        try:
            return snapshot.find_provider_model(ref, None, "anthropic", None)[1]
        except LookupError:
            continue
    return None


def _resolve(model: str, speed: str | None, day: date) -> _Table | None:
    info = _model_info(model)
    if info is None:
        return None
    when = datetime.combine(day, time(12), tzinfo=UTC)
    context = {"speed": speed} if speed else None
    with warnings.catch_warnings():
        # genai-prices warns about price keys newer than itself; the fast path
        # refuses such tables anyway and the library call decides.
        warnings.simplefilter("ignore")
        return _Table(info.get_prices(when, context))


def library_price(model: str, when: datetime, tokens: TokenCounts,
                  speed: str | None = None) -> Decimal:
    """genai-prices' own answer, call by call (slow; the tests compare `Pricer` to it)."""
    from genai_prices import Usage, calc_price

    context = {"speed": speed} if speed == "fast" else None
    return Decimal(calc_price(_usage(Usage, tokens), normalize_model(model),
                              provider_id="anthropic", genai_request_timestamp=when,
                              price_context=context).total_price)
