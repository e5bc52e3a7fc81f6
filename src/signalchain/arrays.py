"""Names for the NumPy array types in signatures, by the dtype they hold.

Annotations only: nothing here converts or checks arrays at run time.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""Real values (volts, hertz, gains, dB)."""
RealArray: TypeAlias = npt.NDArray[np.floating[Any]]
"""Real values of a precision NumPy's stubs leave open (what ``numpy.linalg`` returns)."""
ComplexArray: TypeAlias = npt.NDArray[np.complexfloating[Any, Any]]
"""Complex transfers and phasors (complex128 in practice: NumPy's stubs give arithmetic with a
Python ``complex`` no fixed precision)."""
Float32Array: TypeAlias = npt.NDArray[np.float32]
"""Audio samples while streaming."""
IntArray: TypeAlias = npt.NDArray[np.int64]
"""Indices (nodes, columns, senses)."""
BoolArray: TypeAlias = npt.NDArray[np.bool_]
"""Masks."""
NumberArray: TypeAlias = npt.NDArray[np.number[Any]]
"""Any numeric array (integer, real or complex), for functions that accept each."""
