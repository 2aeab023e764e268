"""Progress of long sweeps and plans, for notebooks and scripts.

``capstan.sweep(..., progress=capstan.progress_bar())`` prints one line that
redraws itself (a bar, points done of all, time spent and left), as the CLI
draws on a terminal; any ``callable(done, total)`` works instead (``total`` is
None where it is not known ahead, as for a plan's search).
"""
from __future__ import annotations

import sys
import time
from typing import Callable, TextIO


def _duration(seconds: float) -> str:
    s = int(max(0.0, seconds) + 0.5)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def progress_bar(unit: str = "points", file: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Callable[[int, int | None], None]:
    """A ``progress(done, total)`` callback drawing ``[#####.....] 3 of 8 points, 12 s, about 20 s left``.

    Writes to `file` (default: sys.stdout, which a notebook shows under the cell), redrawing the line with a
    carriage return and ending it when ``done == total``. `clock` is for tests.
    """
    start = clock()
    width = [0]

    def draw(done: int, total: int | None) -> None:
        out = file if file is not None else sys.stdout
        spent = clock() - start
        if total:
            filled = int(24 * min(1.0, done / total))
            line = f"[{'#' * filled}{'.' * (24 - filled)}] {done} of {total} {unit}, {_duration(spent)}"
            if 0 < done < total:
                line += f", about {_duration(spent * (total - done) / done)} left"
        else:
            line = f"{done} {unit}, {_duration(spent)}"
        padded = line.ljust(width[0])
        width[0] = len(line)
        out.write("\r" + padded)
        if total and done >= total:
            out.write("\n")
        out.flush()

    return draw
