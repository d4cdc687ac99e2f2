"""CSV as spreadsheets write and read it: which separator a file used, its records with the
line each starts on (an unreadable record is reported, and reading goes on), and the quote
that keeps a spreadsheet from running a value as a formula."""

import csv
from collections.abc import Iterator
from typing import TYPE_CHECKING

from shared.presentation.spreadsheet import runs_as_formula

if TYPE_CHECKING:
    from _csv import Reader


def delimiter(text: str) -> str:
    """A comma, unless the header has none and has semicolons (what a spreadsheet writes
    where the comma is the decimal mark, as in Vietnamese) or tabs."""
    first = text.split("\n", 1)[0]
    if "," not in first:
        for candidate in (";", "\t"):
            if candidate in first:
                return candidate
    return ","


def records(reader: "Reader") -> Iterator[tuple[int, list[str] | csv.Error]]:
    """Each record after the header that is not blank, with the line it starts on; the
    error for one the CSV reader could not read (reading goes on at the next line)."""
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, error
            continue
        if any(field.strip() for field in fields):
            yield line, fields


def unquoted(value: object) -> object:
    """A value as exported, without the quote that kept a spreadsheet from running it."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("'") and runs_as_formula(value):
            return value[1:]
    return value
