"""A render plan: what each listener hears, pulled block by block or written to files.

Made by :meth:`signalchain.Rig.render`. Like a pedalboard plugin chain it has state --
the noise generators and the position in the hum tables -- and :meth:`RenderStream.reset`
puts it back to the start, so a second pass gives the same samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from signalchain.arrays import Float32Array
from signalchain.errors import UsageError
from signalchain.render.engine import Renderer
from signalchain.render.programs import Program, ProgramPolicy, open_program
from signalchain.render.run import BLOCK, RenderResult, output_files, render, seed_problem

if TYPE_CHECKING:
    from signalchain.rig import Rig


class RenderStream:
    """What each listener hears for one program, at the rig's (or given) knob positions.

    Use it as a context manager (it holds the program file open), then either pull audio
    with :meth:`blocks` / :meth:`process` or write ``<listener>.wav`` and ``summary.json``
    with :meth:`write`. Samples are float32, left ear and right ear, 1.0 = 20 Pa.
    """

    def __init__(self, rig: Rig, program: Program, positions: Mapping[str, float], seed: int):
        self.rig = rig
        self.program = program
        self.positions = dict(positions)
        self.seed = seed
        self.listeners: tuple[str, ...] = tuple(output_files(rig.graph))
        self._engine = Renderer.from_graph(rig.graph, self.positions, program.samplerate,
                                           seed=seed)

    @classmethod
    def open(cls, rig: Rig, program: str | None = None, *, seconds: float | None = None,
             seed: int = 0, knobs: Mapping[str, float] | None = None,
             channels: tuple[int, int] | None = None,
             policy: ProgramPolicy | None = None) -> RenderStream:
        """Open ``program`` (the rig's own ``program:`` by default) for rendering through ``rig``.

        The rig's ``program:`` must stay inside the rig file's folder; a ``program`` given
        here may name any local file (it comes from the caller, not from the rig file).
        A ``policy`` applies to both (a server's allow-list).

        Raises
        ------
        RigError
            For a program that cannot be used, a bad seed, or a rig without listeners.
        """
        problem = seed_problem(seed)
        if problem is not None:
            raise UsageError([problem])
        spec = rig.spec
        if program is not None:
            prog = open_program(program, spec.samplerate, seconds, channels, policy=policy)
        else:
            folder = rig.path.parent if rig.path is not None else Path.cwd()
            prog = open_program(spec.program, spec.samplerate, seconds, channels,
                                policy=policy or ProgramPolicy(confine_to=folder),
                                location=rig.resolved.location("program"))
        try:
            return cls(rig, prog, {**rig.graph.knob_positions, **(knobs or {})}, seed)
        except BaseException:
            prog.close()
            raise

    @property
    def samplerate(self) -> int:
        """Sample rate of the rendered audio (the rig's ``samplerate``), Hz."""
        return self.program.samplerate

    @property
    def frames(self) -> int:
        """Length of the program, frames."""
        return self.program.frames

    def process(self, block: Float32Array) -> dict[str, Float32Array]:
        """Render one program block (frames × 2) into each listener's ears (frames × 2)."""
        return self._engine.process(block)

    def blocks(self, block_frames: int = BLOCK) -> Iterator[dict[str, Float32Array]]:
        """Render the program from its start, ``block_frames`` at a time."""
        for chunk in self.program.blocks(block_frames):
            yield self._engine.process(chunk)

    def reset(self) -> None:
        """Back to the start: the same seed and hum phase, so the next pass is identical."""
        self._engine = Renderer.from_graph(self.rig.graph, self.positions, self.samplerate,
                                           seed=self.seed)

    def write(self, out_dir: Path, *, normalize: bool = False, force: bool = False,
              progress: Callable[[int, int], None] | None = None) -> RenderResult:
        """Render the whole program into ``out_dir`` (atomic, locked; see render.run.render)."""
        return render(self.rig.graph, self.positions, self.program, Path(out_dir),
                      normalize=normalize, force=force, seed=self.seed, progress=progress)

    def close(self) -> None:
        """Release the program file."""
        self.program.close()

    def __enter__(self) -> RenderStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
