"""Price strings as shops write them -> a float amount and an ISO 4217 currency code.

price-parser reads the number and the currency as written (``"1.299,00 €"`` -> 1299.00, ``"€"``);
its symbol table turns the written currency into an ISO code where the symbol names one currency.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from price_parser import Price
from price_parser._currencies import CURRENCIES

# Symbols that several currencies share: the one a shop most likely means when it gives no code.
# Other shared symbols ("kr", "₩"...) stay unresolved (None) rather than guessed.
SHARED_SYMBOL_DEFAULTS = {"$": "USD", "£": "GBP"}


def _symbol_table() -> dict[str, str]:
    owners: dict[str, set[str]] = defaultdict(set)
    for code, info in CURRENCIES.items():
        for symbol in (info.get("s"), info.get("sn"), *info.get("sn2", [])):
            if symbol:
                owners[symbol.strip().casefold()].add(code)
    table = {symbol: next(iter(codes)) for symbol, codes in owners.items() if len(codes) == 1}
    table.update({code.casefold(): code for code in CURRENCIES})
    table.update(SHARED_SYMBOL_DEFAULTS)
    return table


_ISO = _symbol_table()


def iso_currency(written: Any) -> str | None:
    """``"€"`` -> ``"EUR"``, ``"usd"`` -> ``"USD"``, ``"$"`` -> ``"USD"``; None when unknown or ambiguous."""
    if not isinstance(written, str) or not written.strip():
        return None
    return _ISO.get(written.strip().casefold())


def parse_price(value: Any, currency: Any = None) -> tuple[float | None, str | None]:
    """The amount and ISO currency of a price value; an explicit ``currency`` wins over a written one.

    ``"$349.99"`` -> (349.99, "USD"); ``"1.299,00 €"`` -> (1299.0, "EUR"); ``("12.50", "usd")`` ->
    (12.5, "USD"); a value without a number -> (None, ...). ``"Free"`` is 0.0, as price-parser reads it.
    """
    explicit = iso_currency(currency)
    if value is None or isinstance(value, bool):
        return None, explicit
    if isinstance(value, (int, float)):
        return float(value), explicit
    price = Price.fromstring(str(value), currency_hint=currency if isinstance(currency, str) else None)
    amount = float(price.amount) if price.amount is not None else None
    return amount, explicit or iso_currency(price.currency)
