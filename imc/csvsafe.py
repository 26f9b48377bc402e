"""The one way the portal writes CSV: every cell is neutralised against spreadsheet formulas.

A downloaded CSV is opened in Excel, LibreOffice or Google Sheets, which run a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula (a member named
``=HYPERLINK(...)`` would otherwise run code in an organizer's spreadsheet). Following OWASP's
"CSV Injection" rule, such a cell gets a leading single quote. The price: a negative number reads
``'-2`` in a spreadsheet; the portal's downloads hold people's names and addresses, not sums.

Every download writes through ``csv_writer`` (``tests/trust/test_csv_injection.py`` checks that
no other module calls ``csv.writer``), so a new column or a new download cannot forget it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


class _Line:
    """A file whose ``write`` hands the line back, so a streaming response can yield rows."""

    def write(self, value: str) -> str:
        return value


class _SafeWriter:
    def __init__(self, target: _Writable, **fmtparams: Any) -> None:
        self._writer = csv.writer(target, **fmtparams)

    @staticmethod
    def _cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return "'" + text if text.startswith(FORMULA_STARTS) else text

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([self._cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(target: _Writable | None = None, **fmtparams: Any) -> _SafeWriter:
    """A ``csv.writer`` on ``target`` whose cells cannot start a formula.

    Without a target, ``writerow`` returns the written line instead (for a
    ``StreamingHttpResponse`` that yields rows).
    """
    return _SafeWriter(_Line() if target is None else target, **fmtparams)
