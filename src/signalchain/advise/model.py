"""What ``advise`` returns, as immutable data (no English: see :mod:`signalchain.report.advice`).

An :class:`Advice` holds the ranked :class:`Method` s, what could not be built
(:class:`Skipped`) and the options it was asked with. A method's pros, cons and verdict
reason are :class:`Point` s: a stable code and the numbers behind it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, overload

from signalchain.bom import BomItem
from signalchain.results import VolumeControl

if TYPE_CHECKING:
    from signalchain.rig import Rig
    from signalchain.tune import TuneResult

_EMPTY: Mapping[str, Any] = MappingProxyType({})

Verdict = Literal["recommended", "works", "not-recommended"]
"""``recommended``: the best method that works; ``works``: a working alternative;
``not-recommended``: loses a channel, is off the target level or short of headroom."""

PointCode = Literal[
    # pros and cons
    "stereo", "physical-master", "line-outputs-knob", "own-knob", "hiss", "in-box",
    "bad-signal", "no-master-knob", "line-outputs-used", "shared-output", "hiss-audible",
    "hum-audible", "off-target", "short-headroom", "to-buy",
    # verdict reasons
    "bad-signals", "not-stereo", "listeners-off-target", "stages-short", "best", "behind",
]
"""Every code a :class:`Point` can have (see :func:`signalchain.report.advice.point_text`)."""

SkipCode = Literal["too-few-outputs", "no-cable", "plug-does-not-fit", "no-usb-port",
                   "no-output", "no-input", "build-failed", "same-as"]
"""Why a combination of devices gave no method."""


@dataclass(frozen=True)
class Point:
    """One pro, con or verdict reason: a stable ``code`` and the numbers and names behind it.

    ``data`` holds what the sentence needs (listener ids with their names, levels in dB,
    catalog ids); :attr:`text` is the sentence.
    """

    code: PointCode
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def text(self) -> str:
        """The point in English (made by :func:`signalchain.report.advice.point_text`)."""
        from signalchain.report.advice import point_text

        return point_text(self)


@dataclass(frozen=True)
class Skipped:
    """A combination of devices that gives no method, and why.

    Attributes
    ----------
    devices : tuple of str
        The interface and amp (or other devices) involved.
    code : str
        A stable identifier (:data:`SkipCode`).
    data : Mapping
        The numbers and names behind it (hashable values).
    """

    devices: tuple[str, ...]
    code: SkipCode
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two skips the same (each is reported once): what they say."""
        return self.code, tuple(sorted(self.data.items()))

    @property
    def message(self) -> str:
        """What could not be done, in English (:func:`signalchain.report.advice.skipped_text`)."""
        from signalchain.report.advice import skipped_text

        return skipped_text(self)[0]

    @property
    def hint(self) -> str:
        """The likely fix, if one can be suggested (may be empty)."""
        from signalchain.report.advice import skipped_text

        return skipped_text(self)[1]


@dataclass(frozen=True)
class Volume:
    """Who sets the level: the master knobs (for everyone) and each listener's own knobs.

    ``master`` is the interface's physical knobs that serve every listener, or (when it
    has none) the computer's software volume; ``per_listener`` maps each listener to the
    physical knobs on their path after the interface.
    """

    master: tuple[VolumeControl, ...]
    per_listener: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Facts:
    """The figures a method is judged on, from its tuned simulation.

    Attributes
    ----------
    stereo : bool
        Every listener gets L in the left ear and R in the right, in phase.
    codes : tuple of str
        Every finding code of the tuned simulation, sorted.
    volume : Volume
        The master and per-listener volume knobs.
    noise_spl_dba, noise_listener : float, str
        The worst listener's hiss at the target level, and who that is.
    hum_spl_dba : float
        The worst listener's hum.
    levels_spl_db : Mapping
        Listener → program level after tuning.
    off_target_db : Mapping
        Listener → level minus target, for those more than the tolerance off (``nan`` or
        ``-inf`` for no program).
    own_knob : tuple of str
        Listeners with a physical knob nobody else shares.
    short_headroom_db : Mapping
        Stage → headroom, for stages short of the headroom asked.
    feasible : bool
        Nobody off target and no stage short of headroom.
    physical_master : bool
        The master volume is a physical knob.
    to_buy, items : int
        Items of the BOM to buy or find, and all items.
    listeners : Mapping
        Listener → their headphones' own name (may be empty).
    """

    stereo: bool
    codes: tuple[str, ...]
    volume: Volume
    noise_spl_dba: float
    noise_listener: str
    hum_spl_dba: float
    levels_spl_db: Mapping[str, float]
    off_target_db: Mapping[str, float]
    own_knob: tuple[str, ...]
    short_headroom_db: Mapping[str, float]
    feasible: bool
    physical_master: bool
    to_buy: int
    items: int
    listeners: Mapping[str, str]


@dataclass(frozen=True)
class Method:
    """One way to connect the gear: its connections, what to buy, its figures and verdict.

    Attributes
    ----------
    name : str
        ``interface output → cable → amp input`` (with device ids when the rig has several).
    connections : tuple of Mapping
        The rig-file connection entries (plain data, as in a rig file).
    bom : tuple of BomItem
        What the connections need besides the rig's devices (the USB cable not counted).
    facts : Facts
        The tuned figures.
    pros, cons : tuple of Point
        What speaks for and against it.
    verdict : {'recommended', 'works', 'not-recommended'}
    reason : Point
        Why the verdict (best, how far behind the first, or what is wrong).
    score : float
        Points under the priority (lower is better); the sum of ``breakdown``.
    breakdown : Mapping
        Score component (``hiss``, ``items_to_buy``, ``no_master_knob``,
        ``line_outputs_used``) → points.
    tier : int
        0 stereo and at target, 1 stereo but off target or short of headroom, 2 not stereo.
    interface, amp : str, str or None
        The devices joined (``amp`` None when the listeners plug into the interface).
    uses_line_outputs : bool
        The interface's line outputs (normally the monitors') are used.
    devices, unused : tuple of str
        The rig's devices this method uses, and those it leaves unused.
    shared_outputs : Mapping
        Output (``device.port``) → the listeners sharing it through Y splitters.
    tuned : TuneResult
        The knob positions and the simulation at them.
    rig : Rig
        The method as a rig (its devices and connections, the rig's own knob positions).
    """

    name: str
    connections: tuple[Mapping[str, Any], ...]
    bom: tuple[BomItem, ...]
    facts: Facts
    pros: tuple[Point, ...]
    cons: tuple[Point, ...]
    verdict: Verdict
    reason: Point
    score: float
    breakdown: Mapping[str, float]
    tier: int
    interface: str
    amp: str | None
    uses_line_outputs: bool
    devices: tuple[str, ...]
    unused: tuple[str, ...]
    shared_outputs: Mapping[str, tuple[str, ...]]
    tuned: TuneResult = field(compare=False, repr=False)
    rig: Rig = field(compare=False, repr=False)

    @property
    def knobs(self) -> Mapping[str, float]:
        """The tuned knob positions (``device.knob`` → 0..1)."""
        return self.tuned.knobs


@dataclass(frozen=True)
class Advice(Sequence[Method]):
    """The ranked methods (best first) and the options advise was asked with.

    Iterating, indexing and ``len`` go over :attr:`methods`.

    Attributes
    ----------
    methods : tuple of Method
        Best first.
    skipped : tuple of Skipped
        Device combinations that gave no method, and why.
    priority : str
        ``quality`` or ``convenience``.
    ranking : Mapping
        Points per score component under ``priority`` (see :attr:`Method.breakdown`).
    target_spl_db, length_m, headroom_db : float
        The listening level tuned to, the interface-to-amp cable length, the headroom kept.
    """

    methods: tuple[Method, ...]
    skipped: tuple[Skipped, ...]
    priority: str
    ranking: Mapping[str, float]
    target_spl_db: float
    length_m: float
    headroom_db: float

    @overload
    def __getitem__(self, index: int) -> Method: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Method, ...]: ...

    def __getitem__(self, index: int | slice) -> Method | tuple[Method, ...]:
        return self.methods[index]

    def __len__(self) -> int:
        return len(self.methods)

    def __iter__(self) -> Iterator[Method]:
        return iter(self.methods)

    @property
    def best(self) -> Method | None:
        """The first method (recommended if it works), or None if there is none."""
        return self.methods[0] if self.methods else None

    def rig_for(self, method: Method) -> Rig:
        """The rig ``method`` describes, ready to write (``advise --write-rig``).

        The original rig's devices that the method uses, its connections and its tuned
        knob positions; named as the original rig, or after the method if that has no
        name.

        Raises
        ------
        ValueError
            If ``method`` is not one of this advice's methods.
        """
        if not any(m is method for m in self.methods):
            raise ValueError(f"{method.name!r} is not one of this advice's methods")
        rig = method.rig.with_knobs(method.tuned.knobs)
        if rig.name:
            return rig
        from signalchain.rig import Rig

        data = rig.to_dict()
        return Rig.from_dict({"signalchain": data.pop("signalchain"), "name": method.name,
                              **data}, rig.doc.filename, rig.catalog)


__all__ = ["Advice", "Facts", "Method", "Point", "PointCode", "SkipCode", "Skipped",
           "Verdict", "Volume"]
