"""``sweep``'s table: one flat row of cells per point and listener (CSV, JSON, Parquet)."""

from __future__ import annotations

from typing import Any

from signalchain.report.simulate import json_number
from signalchain.sweep import SweepResult, SweepRow

DECIMALS = 3
"""A sweep's figures are compared point with point: more decimals than simulate prints."""


def row_cells(result: SweepResult, row: SweepRow) -> dict[str, Any]:
    """One row as flat cells (the CSV's columns)."""
    cells: dict[str, Any] = {"point": row.point}
    for var, value in zip(result.variables, row.values, strict=True):
        cells[var.target + (f" ({var.unit})" if var.unit else "")] = value
    cells["listener"] = row.listener
    for name in ("program_spl_db", "peak_spl_db", "noise_spl_dba", "hum_spl_dba",
                 "clips_at_dbfs"):
        cells[name] = json_number(getattr(row, name), DECIMALS)
    cells["clip_stage"] = row.clip_stage or ""
    for side in ("left", "right"):
        for channel in ("L", "R"):
            cells[f"{side}_{channel}_spl_db"] = json_number(
                row.ears.get(side, {}).get(channel), DECIMALS)
    cells["findings"] = " ".join(row.findings)
    return cells


def parquet_bytes(table: list[dict[str, Any]]) -> bytes:
    """The rows (:func:`row_cells`) as a Parquet file: typed columns, null where absent.

    Raises
    ------
    MissingExtraError
        Without pyarrow (the ``parquet`` extra).
    """
    from signalchain.extras import require

    pa = require("pyarrow", "parquet")
    pq = require("pyarrow.parquet", "parquet")
    names = list(table[0]) if table else ["point"]

    def column_type(name: str) -> Any:
        if name == "point":
            return pa.int64()
        if any(isinstance(row[name], str) for row in table):
            return pa.string()  # labels, and a device swap's values
        return pa.float64()  # a figure is a float even where every row has none

    schema = pa.schema([(name, column_type(name)) for name in names])
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(table, schema=schema), sink)
    data: bytes = sink.getvalue().to_pybytes()
    return data
