"""``shop``: which catalog device to buy in place of one of the rig's, or which headphones.

For every candidate of the kind in the catalog (bundled and the user's), the rig is taken
with the candidate in the device's place and ``advise`` is run on it: every sensible
wiring, tuned, judged with the same explicit score (``advise``'s :data:`WEIGHTS`). The
candidates are ranked by their best method (stereo and at target first, then the score),
and each keeps the numbers behind its place. For headphones (``for_listeners``) every
listener gets the candidate and the rig is tuned as wired.

Candidates are independent, so they can run on any ``concurrent.futures`` executor (local
processes, a Dask cluster); the ranking is the same.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from signalchain import thresholds as th
from signalchain.errors import Diagnostic, RigError, UsageError

if TYPE_CHECKING:
    from signalchain.rig import Rig

SHOP_KINDS = ("interface", "amp", "headphones")


@dataclass(frozen=True)
class Offer:
    """One candidate: its best way into the rig, or why it has none."""

    candidate: str
    """Catalog id."""
    name: str
    method: str | None
    """The name of its best method (a device swap), None if it cannot be wired or as wired
    (headphones); ``rig.with_devices(...).advise()`` gives the method itself."""
    verdict: str | None
    worst_noise_spl_dba: float | None
    """The worst listener's hiss with every listener at the target."""
    feasible: bool
    """Every listener reaches the target with the required headroom."""
    stereo: bool
    to_buy: int
    score: float | None
    problem: str
    """Why it cannot be used (empty if it can)."""

    @property
    def usable(self) -> bool:
        """It can be wired and tuned."""
        return not self.problem


@dataclass(frozen=True)
class ShopResult:
    """The candidates, best first."""

    replace: str
    """The device replaced, or ``"listeners"`` for headphones."""
    kind: str
    priority: str
    target_spl_db: float
    offers: tuple[Offer, ...]


def _first_problem(exc: RigError) -> str:
    """The first reason of an error, on one line (advise lists its reasons below a header)."""
    if not exc.diagnostics:
        return "error"
    lines = [line.strip(" -") for line in exc.diagnostics[0].message.splitlines()]
    reasons = [line for line in lines[1:] if line] or lines[:1]
    return reasons[0][:300]


def _swap_offer(rig: Rig, replace: str, candidate: str, priority: str, target_spl_db: float
                ) -> Offer:
    """The rig with ``candidate`` in place of ``replace``, advised."""
    name = rig.catalog.device(candidate)
    label = name.name if name is not None else candidate
    try:
        advice = rig.with_devices({replace: candidate}).advise(priority=priority,
                                                               target_spl_db=target_spl_db)
    except RigError as exc:
        return Offer(candidate, label, None, None, None, False, False, 0, None,
                     _first_problem(exc))
    best = advice.methods[0]
    return Offer(candidate, label, best.name, best.verdict, best.facts.noise_spl_dba,
                 best.tier == 0, best.facts.stereo, best.facts.to_buy, best.score, "")


def _headphone_offer(rig: Rig, candidate: str, target_spl_db: float) -> Offer:
    """Every listener on ``candidate`` headphones, tuned as the rig is wired."""
    spec = rig.catalog.device(candidate)
    label = spec.name if spec is not None else candidate
    try:
        swapped = rig.with_devices({who: candidate for who in rig.listeners})
        tuned = swapped.tune(target_spl_db)
    except RigError as exc:
        return Offer(candidate, label, None, None, None, False, False, 0, None,
                     _first_problem(exc))
    ev = tuned.evaluation
    hiss = max((lf.noise_spl_dba for lf in ev.listeners), default=None)
    stereo = all(lf.program_at("left") and lf.program_at("right") for lf in ev.listeners)
    return Offer(candidate, label, None, None, hiss, tuned.feasible, stereo, 0, hiss, "")


def _rank(offer: Offer) -> tuple[int, int, float, str]:
    return (0 if offer.usable else 1, 0 if offer.feasible else 1,
            offer.score if offer.score is not None else float("inf"), offer.candidate)


def shop(rig: Rig, replace: str | None = None, *, kind: str | None = None,
         for_listeners: bool = False, priority: str = "quality",
         target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
         executor: Executor | None = None) -> ShopResult:
    """Rank the catalog's candidates for one of the rig's devices, or for its headphones.

    Parameters
    ----------
    rig : Rig
        The rig.
    replace : str, optional
        The device to replace (a device id of the rig); not with ``for_listeners``.
    kind : str, optional
        The kind of candidate (default: the replaced device's kind).
    for_listeners : bool
        Rank headphones for every listener instead.
    priority : {'quality', 'convenience'}
        ``advise``'s weights.
    target_spl_db : float
        The listening level every listener is tuned to.
    executor : concurrent.futures.Executor, optional
        Where the candidates run (None: here).

    Raises
    ------
    UsageError
        For a device the rig lacks, an unknown kind or priority, or no candidate at all.
    """
    from signalchain.advise import PRIORITIES

    if priority not in PRIORITIES:
        raise UsageError([Diagnostic(
            "error", f"priority {priority!r} is not one of {', '.join(PRIORITIES)}",
            hint="the catalog has no prices, so there is no 'price' priority",
            code="bad-option")])
    if for_listeners:
        if not rig.listeners:
            raise UsageError([Diagnostic("error", "the rig has no listeners to buy "
                                         "headphones for", code="bad-option")])
        kind, target = "headphones", "listeners"
    else:
        if replace is None or replace not in rig.resolved.devices:
            raise UsageError([Diagnostic(
                "error", f"--replace {replace!r}: the rig has no such device" if replace
                else "say which device to replace (--replace DEVICE) or --for-listeners",
                hint="devices: " + ", ".join(rig.resolved.devices), code="bad-option")])
        kind = kind or rig.resolved.devices[replace].spec.kind
        target = replace
    if kind not in SHOP_KINDS:
        raise UsageError([Diagnostic("error", f"cannot shop for a {kind!r}",
                                     hint="kinds: " + ", ".join(SHOP_KINDS),
                                     code="bad-option")])
    from signalchain.advise.mics import is_mic_booster

    candidates = [c for c in rig.catalog.ids(kind)
                  if not is_mic_booster(rig.catalog.get(c))]  # type: ignore[arg-type]
    if not candidates:
        raise UsageError([Diagnostic("error", f"the catalog has no {kind}", code="bad-option")])
    # each candidate builds its own rig: other processes get this one without its circuit
    sent = rig if executor is None else rig.unsolved()
    tasks: list[tuple[Any, ...]] = [
        (_headphone_offer, sent, c, target_spl_db) if for_listeners
        else (_swap_offer, sent, target, c, priority, target_spl_db) for c in candidates]
    if executor is None:
        offers = [task[0](*task[1:]) for task in tasks]
    else:
        offers = [f.result() for f in [executor.submit(*task) for task in tasks]]
    return ShopResult(target, kind, priority, float(target_spl_db),
                      tuple(sorted(offers, key=_rank)))


__all__ = ["SHOP_KINDS", "Offer", "ShopResult", "shop"]
