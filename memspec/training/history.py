"""history.csv: one row per step, appended and flushed as training goes.

Columns: step, stage, cost, test_cost (blank when not evaluated), every
weight in its weight unit, then `V:<node>` for every output node. Each row
is written with a single `write` and flushed, so an interrupted run leaves
whole rows behind, and a resumed run continues from the last one.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from memspec.errors import TrainingError

FIXED_COLUMNS = ["step", "stage", "cost", "test_cost"]


def columns(weight_names: list[str], output_names: list[str]) -> list[str]:
    return FIXED_COLUMNS + weight_names + [f"V:{n}" for n in output_names]


class HistoryWriter:
    """Appends rows to history.csv; the header is written for a fresh file."""

    def __init__(self, path: Path, header: list[str], *, append: bool = False):
        self.header = header
        self.file = path.open("a" if append else "w", encoding="utf-8", newline="")
        if not append:
            self._write(header)

    def append(self, row: dict[str, object]) -> None:
        self._write([_format(row.get(c)) for c in self.header])

    def close(self) -> None:
        self.file.close()

    def _write(self, fields: list[str]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(fields)
        self.file.write(buffer.getvalue())
        self.file.flush()


def read_history(path: Path, header: list[str]) -> list[dict[str, str]]:
    """The complete rows of a history.csv, checked against the expected header.

    A last line cut short by a kill is dropped, and the file is rewritten
    without it so that appending continues cleanly.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TrainingError(
            f"cannot resume: {path} cannot be read ({error})"
        ) from error
    lines = text.splitlines(keepends=True)
    if not lines or next(csv.reader([lines[0]])) != header:
        raise TrainingError(
            f"cannot resume: {path} was written for other weights or outputs; "
            "train into a new directory instead"
        )
    complete = [
        line
        for line in lines[1:]
        if line.endswith("\n") and len(next(csv.reader([line]))) == len(header)
    ]
    if len(complete) != len(lines) - 1:
        path.write_text(lines[0] + "".join(complete), encoding="utf-8")
    return [dict(zip(header, next(csv.reader([row])), strict=True)) for row in complete]


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(float(value))
    return str(value)
