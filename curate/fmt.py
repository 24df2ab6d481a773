"""How numbers and tables are written for people: gate sentences, reports, the datasheet, the terminal."""
from __future__ import annotations

import math
from typing import Any


def number(v: Any, digits: int = 4, *, none: str = "-", nonfinite: str | None = None,
           decimals: int | None = None) -> str:
    """Integers as integers, other floats to `digits` significant digits (or `decimals` fixed places, whole
    numbers of 1 or more still without any); None as `none`; NaN and infinity as `nonfinite` when given."""
    if v is None:
        return none
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v) and nonfinite is not None:
            return nonfinite
        if decimals is not None:
            return str(int(v)) if v.is_integer() and abs(v) >= 1 else f"{v:.{decimals}f}"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.{digits}g}"
    return str(v)


def md_table(head: list[str], rows: list[list[Any]], escape: bool = True) -> str:
    """A Markdown table; escape=False for cells the caller has escaped already."""
    esc = (lambda c: str(c).replace("|", "\\|").replace("\n", " ")) if escape else str
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
                      *("| " + " | ".join(esc(c) for c in r) + " |" for r in rows)])


def text_table(head: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """Columns padded to their widest cell for the terminal; the columns in `right` aligned right, the last
    column left as it is."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    line = lambda cells: "  ".join(  # noqa: E731
        [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))] + [cells[-1]]).rstrip()
    return "\n".join(line(r) for r in [head, *rows])
