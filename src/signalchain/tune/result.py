"""What ``tune`` returns, as immutable data (no English: see :mod:`signalchain.report.tune`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from signalchain.results import Evaluation

NoteCode = Literal["cannot-reach", "short-headroom", "own-knobs-only", "no-feasible-setting",
                   "tuned", "alternative", "trade-off", "assumptions", "input-gain"]
"""What a :class:`TuneNote` says (its ``data`` keys in brackets).

``cannot-reach``: a listener misses their target (``listener``, ``target_spl_db``, ``spl_db``
or None when no program reaches them, ``reason``: a :data:`MissReason`, ``knob``, ``stage``
and ``stage_headroom_db``: the worst headroom on their path, ``headroom_db``, ``shared_with``).
``short-headroom``: a listener is at target only with ``stage`` below the required headroom
(``listener``, ``target_spl_db``, ``stage``, ``stage_headroom_db``, ``headroom_db``).
``own-knobs-only``: no knob is shared or upstream of a listener's own; nothing was searched.
``no-feasible-setting``: no position of the searched ``knob`` meets every target with
``headroom_db``; ``cause`` is ``headroom`` (the targets alone could be met) or ``targets``.
``tuned``: the chosen ``knobs`` (searched, then the listeners' own) and the
``worst_noise_spl_dba``. ``alternative``: the searched ``knob`` at the other end of its
feasible range (``direction``: ``higher``/``lower``, ``position``, the listeners' own knobs
``own_min``/``own_max`` or None, ``worst_noise_spl_dba``, ``more_db`` than tuned).
``trade-off``: whether 'lower the interface, raise the amp' pays (``verdict``: ``holds``,
``does-not-hold`` or ``small``, ``knob``, its tuned ``position``, the ``highest`` feasible
one, the hiss saved ``gain_db``). ``assumptions``: the figures rest on ``count`` assumed
values (``rig_file``). ``input-gain``: a recording input's gain knob set first, for the
loudest talker's average at ``target_dbfs`` (``input``, ``knob``, ``position``, ``gain_db``,
``talker``, ``average_dbfs``, ``missing_db``: gain the preamp lacks, 0 when it has enough).
"""

MissReason = Literal["no-program", "no-knob", "full-gain", "headroom", "shared-knob", "floor"]
"""Why a listener cannot reach their target.

``no-program``: nothing on their path is fed by the computer; ``no-knob``: no knob sets
their level; ``full-gain``: every knob on their path is fully up; ``headroom``: more level
would take ``stage`` below the required headroom; ``shared-knob``: a knob they share with
``shared_with`` cannot suit everyone on it (headphones of different sensitivity); ``floor``:
too loud with their own knob fully down.
"""

Verdict = Literal["holds", "does-not-hold", "small"]
CaseName = Literal["tuned", "lowest", "highest"]
KnobRole = Literal["shared", "upstream"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class TuneNote:
    """One fact behind the chosen setting: a stable ``code`` (:data:`NoteCode`) and numbers."""

    code: NoteCode
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class ComparisonRow:
    """The searched knob's setting in one case, and the worst listener's hiss there.

    ``case`` is the tuned setting or the lowest/highest feasible position of the searched
    knob (``role``: shared between listeners, or upstream of one listener's own knob);
    ``knobs`` holds the searched knobs and every listener's own knob.
    """

    case: CaseName
    role: KnobRole
    knobs: Mapping[str, float]
    worst_noise_spl_dba: float


@dataclass(frozen=True)
class TuneResult:
    """What ``tune`` found.

    Attributes
    ----------
    knobs : Mapping
        ``device.knob`` → position (0..1) for every knob on a listener's path, as written.
    targets : Mapping
        Listener → target program level (dB SPL).
    headroom_db : float
        The headroom every stage had to keep.
    feasible : bool
        Every target met and every stage's headroom kept at ``knobs``.
    evaluation : Evaluation
        The simulation at ``knobs``.
    notes : tuple of TuneNote
        Why the setting is what it is (see :data:`NoteCode`).
    comparison : tuple of ComparisonRow
        The tuned setting against the ends of the searched knob's feasible range.
    """

    knobs: Mapping[str, float]
    targets: Mapping[str, float]
    headroom_db: float
    feasible: bool
    evaluation: Evaluation
    notes: tuple[TuneNote, ...] = ()
    comparison: tuple[ComparisonRow, ...] = ()
