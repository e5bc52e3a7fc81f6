"""``shop`` for people (a ranked table) and programs (JSON)."""

from __future__ import annotations

from typing import Any

from signalchain.shop import Offer, ShopResult


def offer_json(offer: Offer, rank: int) -> dict[str, Any]:
    """One offer in ``shop --json``."""
    return {"rank": rank, "candidate": offer.candidate, "name": offer.name,
            "usable": offer.usable, "feasible": offer.feasible, "stereo": offer.stereo,
            "worst_noise_spl_dba": (None if offer.worst_noise_spl_dba is None
                                    else round(offer.worst_noise_spl_dba, 1)),
            "to_buy": offer.to_buy,
            "score": None if offer.score is None else round(offer.score, 2),
            "method": offer.method, "verdict": offer.verdict,
            "problem": offer.problem}


def shop_json(result: ShopResult) -> dict[str, Any]:
    """The ``shop --json`` object."""
    return {"signalchain": 1, "replace": result.replace, "kind": result.kind,
            "priority": result.priority, "target_spl_db": result.target_spl_db,
            "offers": [offer_json(o, i + 1) for i, o in enumerate(result.offers)]}


def offers_rows(result: ShopResult, limit: int | None = None) -> list[tuple[str, ...]]:
    """The ranking as text cells: rank, candidate, hiss, stereo, to buy, how, why not."""
    rows: list[tuple[str, ...]] = []
    for i, o in enumerate(result.offers[:limit]):
        hiss = "—" if o.worst_noise_spl_dba is None else f"{o.worst_noise_spl_dba:.1f} dBA"
        how = (o.problem if not o.usable else
               (o.method if o.method is not None else "as wired")
               + ("" if o.feasible else " (not every listener at target)"))
        rows.append((str(i + 1), f"{o.candidate}\n{o.name}", hiss,
                     "yes" if o.stereo else "no", str(o.to_buy), how))
    return rows
