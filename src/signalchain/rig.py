"""The one public entry point: :class:`Rig`, a rig file loaded once and asked many questions.

>>> import signalchain as sc
>>> rig = sc.Rig.from_path("examples/01-headphone-out-to-splitter.yaml")  # doctest: +SKIP
>>> rig.simulate().listener("alice").ears["left"].program  # doctest: +SKIP

A :class:`Rig` is immutable. Its derived stages -- :attr:`Rig.resolved` (catalog
lookup), :attr:`Rig.built` (the wired netlist) and :attr:`Rig.graph` (the solved
circuit) -- are cached properties, computed on first use. The ``with_*`` methods
return new rigs that reuse whatever did not change: :meth:`Rig.with_knobs` keeps the
solved circuit (knobs never need a new solve), :meth:`Rig.with_connections` keeps the
resolved devices.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalchain import thresholds as th
from signalchain.catalog import Catalog, default_catalog
from signalchain.errors import Diagnostic, UsageError
from signalchain.findings import Finding
from signalchain.refs import KnobRef, PortRef
from signalchain.schema.loader import YamlDocument, parse_yaml, plain_data, read_yaml, validate
from signalchain.schema.rig import RigSpec
from signalchain.threads import on_solver_threads

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from signalchain.advise import Advice
    from signalchain.graph.compile import SignalGraph
    from signalchain.render.programs import ProgramPolicy
    from signalchain.render.stream import RenderStream
    from signalchain.results import Evaluation, ListenerFigures
    from signalchain.shop import ShopResult
    from signalchain.sweep import SweepResult, Variable
    from signalchain.tune import TuneResult
    from signalchain.wiring.build import BuiltRig
    from signalchain.wiring.resolve import ResolvedRig


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: the rig plugs together; these are its findings.

    Attributes
    ----------
    findings : tuple of Finding
        Wiring warnings (``loose-end``, ``passive-split`` ...) and outputs that drive a short
        (``shorted-output``, an error), each once.
    listeners : tuple of str
        The listeners (headphones) in rig order.
    feeds : Mapping
        Listener → the active stage that drives their headphones (or None).
    """

    findings: tuple[Finding, ...]
    listeners: tuple[str, ...]
    feeds: Mapping[str, str | None]


@dataclass(frozen=True)
class PortInfo:
    """One port of a device in :meth:`Rig.topology`."""

    ref: PortRef
    direction: str
    connector: str
    gender: str
    signal: str
    label: str
    plugged: bool


@dataclass(frozen=True)
class DeviceInfo:
    """One device in :meth:`Rig.topology`."""

    id: str
    model: str | None
    name: str
    kind: str
    power: str
    ports: tuple[PortInfo, ...]
    knobs: Mapping[str, float]


@dataclass(frozen=True)
class CableInfo:
    """One connection in :meth:`Rig.topology`: what joins which ports.

    ``item`` is the cable's catalog id (``None`` for a plug straight into a socket),
    ``adapters`` the adapters on the way, ``length_m`` the cable's length.
    """

    index: int
    item: str | None
    length_m: float | None
    ports: tuple[PortRef, ...]
    adapters: tuple[str, ...]

    @property
    def cable_id(self) -> str:
        """The connection's label in diagrams, schedules and reports: C01, C02 … in file order."""
        return f"C{self.index + 1:02d}"


@dataclass(frozen=True)
class Topology:
    """Devices, ports, cables and the signal flow between active stages (for diagrams)."""

    devices: tuple[DeviceInfo, ...]
    cables: tuple[CableInfo, ...]
    signal_flow: Mapping[str, tuple[str, ...]]
    """Active stage (``device.port``) → the stages it feeds."""
    listeners: tuple[str, ...]
    feeds: Mapping[str, str | None]


def _usage(message: str, code: str = "bad-knob") -> UsageError:
    return UsageError([Diagnostic("error", message, code=code)])


class Rig:
    """A rig: devices, cables and listeners, loaded and validated once.

    Build one with :meth:`from_path`, :meth:`from_text` or :meth:`from_dict`; all three
    validate the rig against the schema and raise :class:`~signalchain.errors.RigError`
    (with file:line:col diagnostics) if it is invalid. The derived stages are computed
    lazily and cached; asking a rig that does not plug together for :attr:`built` (or
    anything after it) raises :class:`~signalchain.errors.RigTopologyError`.

    Parameters
    ----------
    spec : RigSpec
        The validated rig file.
    doc : YamlDocument
        The parsed document (for file locations in messages).
    catalog : Catalog, optional
        Where device and cable ids are looked up; the bundled catalog by default.
    path : Path, optional
        The file the rig came from (its folder confines the rig's ``program:``).
    """

    def __init__(self, spec: RigSpec, doc: YamlDocument, catalog: Catalog | None = None, *,
                 path: Path | None = None) -> None:
        self.spec = spec
        self.doc = doc
        self.catalog = catalog if catalog is not None else default_catalog()
        self.path = path
        self._knob_overrides: dict[str, float] = {}
        self._knobs_of: Rig | None = None
        """The rig this one only moves knobs of (its solved circuit is shared)."""

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def from_path(cls, path: str | Path, catalog: Catalog | None = None) -> Rig:
        """Read and validate a rig file (regular files only, within the limits in force)."""
        doc = read_yaml(path)
        return cls(validate(RigSpec, doc), doc, catalog, path=Path(path))

    @classmethod
    def from_text(cls, text: str, filename: str = "<rig>", catalog: Catalog | None = None
                  ) -> Rig:
        """Validate a rig given as YAML text; ``filename`` names it in messages."""
        doc = parse_yaml(text, filename)
        return cls(validate(RigSpec, doc), doc, catalog)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], filename: str = "<dict>",
                  catalog: Catalog | None = None) -> Rig:
        """Validate a rig given as plain data (the rig file's structure as dicts and lists)."""
        doc = YamlDocument(plain_data(dict(data)), filename, "")
        return cls(validate(RigSpec, doc), doc, catalog)

    def with_knobs(self, knobs: Mapping[str, float]) -> Rig:
        """The same rig with some knobs moved (``{'hm4.out1': 0.6}``; positions 0..1).

        The solved circuit is shared with this rig: moving knobs never needs a new solve.

        Raises
        ------
        UsageError
            For a knob the rig does not have, or a position outside 0..1.
        """
        checked = self._checked_knobs(knobs)
        new = Rig(self.spec, self.doc, self.catalog, path=self.path)
        new._knob_overrides = {**self._knob_overrides, **checked}
        new._knobs_of = self._knobs_of or self
        new.__dict__["resolved"] = self.resolved
        return new

    def with_devices(self, devices: Mapping[str, Any], *, replace_all: bool = False) -> Rig:
        """The same rig with some devices replaced or added.

        Parameters
        ----------
        devices : Mapping
            Device id → a rig-file device entry: a catalog id (``'motu/m2'``), a mapping
            (``{'model': 'motu/m2', 'knobs': {'phones': 0.5}}`` or an inline device), or a
            :class:`~signalchain.schema.rig.DeviceUse`/``InlineDevice``.
        replace_all : bool
            Use exactly these devices instead of updating the rig's.
        """
        data = self.to_dict()
        current = {} if replace_all else data["devices"]
        for name, entry in devices.items():
            current[name] = (entry.model_dump(mode="json", exclude_unset=True, by_alias=True)
                             if hasattr(entry, "model_dump") else entry)
        data["devices"] = current
        return self._derive_from_data(data, keep_devices=False)

    def with_connections(self, connections: Sequence[Any],
                         devices: Iterable[str] | None = None) -> Rig:
        """The same devices wired another way (rig-file connection entries or models).

        The resolved devices are reused; only the wiring and what follows it are new.
        With ``devices``, only those of the rig's devices are kept.
        """
        plain = [c.model_dump(mode="json", exclude_unset=True, by_alias=True)
                 if hasattr(c, "model_dump") else c for c in connections]
        data = {**self.spec.model_dump(mode="json", exclude_unset=True, by_alias=True),
                "connections": plain}
        if devices is not None:
            keep = set(devices)
            data["devices"] = {k: v for k, v in data["devices"].items() if k in keep}
        return self._derive_from_data(data, keep_devices=True)

    def _derive_from_data(self, data: dict[str, Any], *, keep_devices: bool) -> Rig:
        doc = YamlDocument(plain_data(data), self.doc.filename, "")
        spec = validate(RigSpec, doc)
        new = Rig(spec, doc, self.catalog, path=self.path)
        if keep_devices:
            from signalchain.wiring.resolve import ResolvedRig

            new.__dict__["resolved"] = ResolvedRig(
                spec, doc, self.catalog,
                {k: v for k, v in self.resolved.devices.items() if k in spec.devices})
        new._knob_overrides = {k: v for k, v in self._knob_overrides.items()
                               if k.partition(".")[0] in spec.devices}
        return new

    def unsolved(self) -> Rig:
        """A copy without the cached stages (resolved, built, compiled): a small pickle.

        For work sent to other processes that builds its own circuits anyway; the stages are
        made again on first use.
        """
        light = copy.copy(self)
        for name in ("resolved", "built", "graph", "_knob_names"):
            light.__dict__.pop(name, None)
        light._knobs_of = None
        return light

    # ---- derived stages (cached) -----------------------------------------------------------

    @cached_property
    def resolved(self) -> ResolvedRig:
        """Devices looked up in the catalog, knob positions filled in (cached)."""
        from signalchain.wiring.resolve import resolve

        return resolve(self.spec, self.doc, self.catalog)

    @cached_property
    def built(self) -> BuiltRig:
        """The rig wired at contact level into a netlist (cached).

        Raises
        ------
        RigTopologyError
            If the rig does not plug together.
        """
        from signalchain.wiring.build import build

        if self._knobs_of is not None:
            return self._knobs_of.built
        return build(self.resolved)

    @cached_property
    def graph(self) -> SignalGraph:
        """The compiled signal graph: the passive network solved once over frequency."""
        from signalchain.graph import compile_rig

        graph = self._knobs_of.graph if self._knobs_of is not None else compile_rig(self.built)
        if self._knob_overrides:
            graph = dataclasses.replace(graph, knob_positions={**graph.knob_positions,
                                                               **self._knob_overrides})
        return graph

    # ---- simple facts ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The rig's ``name:`` (may be empty)."""
        return self.spec.name

    @property
    def listeners(self) -> tuple[str, ...]:
        """The listeners (headphones' device ids) in rig order."""
        return tuple(self.built.listeners)

    @property
    def knobs(self) -> dict[str, float]:
        """Every knob's position (``device.knob`` → 0..1), with this rig's overrides."""
        positions = {str(KnobRef.of(d.name, k)): v for d in self.resolved.devices.values()
                     for k, v in d.knobs.items()}
        positions.update(self._knob_overrides)
        return positions

    @cached_property
    def _knob_names(self) -> frozenset[str]:
        return frozenset(str(KnobRef.of(d.name, k)) for d in self.resolved.devices.values()
                         for k in d.knobs)

    def _checked_knobs(self, knobs: Mapping[str, float] | None) -> dict[str, float]:
        known = self._knob_names
        out: dict[str, float] = {}
        for key, value in (knobs or {}).items():
            if key not in known:
                raise _usage(f"no knob {key!r}; the rig's knobs: "
                             f"{', '.join(sorted(known)) or 'none'}")
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
                raise _usage(f"knob {key}={value!r} is outside 0..1")
            out[key] = float(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The rig as rig-file data (plain dicts and lists), knob overrides written in."""
        data = self.spec.model_dump(mode="json", exclude_unset=True, by_alias=True)
        devices = data["devices"]
        for key, value in self._knob_overrides.items():
            ref = KnobRef(key)
            entry = devices[ref.device]
            if isinstance(entry, str):
                entry = devices[ref.device] = {"model": entry}
            field = "knobs" if "model" in entry else "set"
            entry[field] = {**entry.get(field, {}), ref.knob: round(value, 3)}
        return data

    # ---- questions -------------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Check that the rig plugs together.

        Raises
        ------
        RigTopologyError
            If it does not (unknown ports, plugs that do not fit, feedback loops ...).
        """
        from signalchain.evaluate import shorted_outputs

        built = self.built
        wiring = tuple(Finding.from_diagnostic(d) for d in built.warnings)
        return CheckResult((*wiring, *shorted_outputs(self.graph)), tuple(built.listeners),
                           dict(built.feeds))

    @on_solver_threads
    def simulate(self, knobs: Mapping[str, float] | None = None, *,
                 record_target_dbfs: float = -18.0) -> Evaluation:
        """What every listener hears at the rig's knob positions (plus ``knobs``).

        Also what every input records, with the gain for ``record_target_dbfs``.
        """
        from signalchain.evaluate import evaluate

        return evaluate(self.graph, self._checked_knobs(knobs), record_target_dbfs)

    @on_solver_threads
    def simulate_many(self, points: Sequence[Mapping[str, float]]
                      ) -> list[tuple[ListenerFigures, ...]]:
        """Every listener's figures and findings at each of many knob settings, batched.

        Each point is knob positions over the rig's own, as in :meth:`simulate`; the
        listeners are :meth:`simulate`'s, without the recording's noise floor at their ears
        (see :func:`signalchain.evaluate.evaluate_many`).
        """
        from signalchain.evaluate import evaluate_many

        return evaluate_many(self.graph, [self._checked_knobs(p) for p in points])

    @on_solver_threads
    def sweep(self, variables: Sequence[str | Variable], *, random: int | None = None,
              seed: int = 0, listeners: Sequence[str] | None = None,
              executor: Executor | None = None) -> SweepResult:
        """Simulate at every point of a grid (or ``random`` points) of knobs, lengths, etc.

        ``variables`` are ``--vary`` texts (``C01.length=1m..30m:12``) or parsed
        :class:`~signalchain.sweep.Variable`; ``executor`` runs the work elsewhere (a
        ``ProcessPoolExecutor``, or a Dask ``Client.get_executor()``). See
        :func:`signalchain.sweep.sweep`.
        """
        from signalchain.sweep import parse_vary, sweep

        parsed = [parse_vary(v, self) if isinstance(v, str) else v for v in variables]
        return sweep(self, parsed, random=random, seed=seed, listeners=listeners,
                     executor=executor)

    def shop(self, replace: str | None = None, *, kind: str | None = None,
             for_listeners: bool = False, priority: str = "quality",
             target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
             executor: Executor | None = None) -> ShopResult:
        """Rank the catalog's candidates for one of this rig's devices, or its headphones.

        See :func:`signalchain.shop.shop`; ``Catalog.shop(rig, ...)`` does it with another
        catalog's candidates.
        """
        from signalchain.shop import shop

        return shop(self, replace, kind=kind, for_listeners=for_listeners, priority=priority,
                    target_spl_db=target_spl_db, executor=executor)

    @on_solver_threads
    def tune(self, target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
             listener_targets: Mapping[str, float] | None = None,
             headroom_db: float = th.DEFAULT_HEADROOM_DB,
             record_target_dbfs: float = -18.0) -> TuneResult:
        """Input gains for the recording, then knobs for every listener's target, least hiss.

        See :func:`signalchain.tune.tune`.
        """
        from signalchain.tune import tune

        return tune(self.graph, target_spl_db, dict(listener_targets or {}), headroom_db,
                    record_target_dbfs)

    @on_solver_threads
    def advise(self, priority: str = "quality", length_m: float = 3.0,
               target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
               headroom_db: float = th.DEFAULT_HEADROOM_DB) -> Advice:
        """Every sensible way to wire this rig's devices, ranked (its connections ignored).

        See :func:`signalchain.advise.advise`.
        """
        from signalchain.advise import advise

        return advise(self, priority=priority, length_m=length_m,
                      target_spl_db=target_spl_db, headroom_db=headroom_db)

    def render(self, program: str | None = None, *, seconds: float | None = None,
               seed: int = 0, knobs: Mapping[str, float] | None = None,
               channels: tuple[int, int] | None = None,
               policy: ProgramPolicy | None = None) -> RenderStream:
        """A render plan: pull what each listener hears block by block, or write it to files.

        Parameters
        ----------
        program : str, optional
            ``builtin:NAME`` or an audio file; the rig's ``program:`` by default (which must
            stay inside the rig file's folder).
        seconds : float, optional
            Render at most this long.
        seed : int
            Noise seed (renders are deterministic).
        knobs : Mapping, optional
            Knob positions overriding the rig's.
        channels : (int, int), optional
            Which two channels of a multichannel file to play (1-based).
        policy : ProgramPolicy, optional
            Which files ``program`` and the rig's ``program:`` may name (a server passes
            ``ProgramPolicy(allow_files=...)``); by default ``program`` may name any local
            file and the rig's ``program:`` only files in the rig file's folder.
        """
        from signalchain.render.stream import RenderStream

        return RenderStream.open(self, program, seconds=seconds, seed=seed,
                                 knobs=self._checked_knobs(knobs), channels=channels,
                                 policy=policy)

    def netlist(self, listener: str, channel: str = "L", freq_hz: float = 1000.0) -> str:
        """The passive network as a SPICE netlist probing ``listener``'s drivers.

        The program ``channel`` plays a 1 kHz sine at −18 dBFS (at ``freq_hz``).

        Raises
        ------
        UsageError
            For an unknown listener or channel, or a frequency outside 1 Hz..100 kHz.
        """
        from signalchain.circuit.export import listener_netlist

        return listener_netlist(self, listener, channel, freq_hz)

    def to_spice(self, listener: str, channel: str = "L", freq_hz: float = 1000.0) -> str:
        """Same as :meth:`netlist` (the SPICE text)."""
        return self.netlist(listener, channel, freq_hz)

    def topology(self) -> Topology:
        """Devices, ports, cables and the signal flow, for diagrams and cable schedules."""
        from signalchain.wiring.topology import topology

        return topology(self)

    def findings(self, knobs: Mapping[str, float] | None = None) -> tuple[Finding, ...]:
        """Every finding: the wiring check's and the simulation's."""
        return (*self.check().findings, *self.simulate(knobs).findings)

    def __repr__(self) -> str:
        where = str(self.path) if self.path else self.doc.filename
        return f"Rig({where!r}, {len(self.spec.devices)} devices)"


def parse_knob_settings(settings: Iterable[str], rig: Rig) -> dict[str, float]:
    """Parse ``device.knob=value`` strings (value 0..1 or a percentage) against a rig.

    Raises
    ------
    UsageError
        Naming the bad setting and the knobs that exist.
    """
    from signalchain.units import parse_fraction

    out: dict[str, float] = {}
    known = set(rig.knobs)
    for item in settings:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            raise UsageError([Diagnostic(
                "error", f"--set {item!r}: expected device.knob=value with one of the rig's "
                f"knobs ({', '.join(sorted(known)) or 'none'})", code="bad-set")])
        try:
            out[key] = parse_fraction(value.strip())
        except ValueError as exc:
            raise UsageError([Diagnostic("error", f"--set {item!r}: {exc}",
                                         code="bad-set")]) from None
    return out


__all__ = ["CableInfo", "CheckResult", "DeviceInfo", "PortInfo", "Rig", "Topology",
           "parse_knob_settings"]
