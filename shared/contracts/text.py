"""Text from outside: one-line fields refuse control characters, multi-line ones drop them."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

# What one line of text may not hold: C0 and C1 controls and DEL (a NUL breaks documents
# and logs, CR/LF break email headers), the line and paragraph separators, and the
# invisible format marks that reorder or hide text (zero-width characters, bidirectional
# overrides, the byte-order mark). None of them is text a person meant to write.
_LINE_BREAKERS = (
    r"\x00-\x1f\x7f-\x9f\u2028\u2029"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
)
ONE_LINE = rf"^[^{_LINE_BREAKERS}]*$"
# Multi-line text keeps tab, line feed and carriage return, and loses the other controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# What an id made by a service looks like (content's article ids are 32 hex digits).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

_ONE_LINE = re.compile(ONE_LINE)


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def is_one_line(text: str) -> bool:
    return _ONE_LINE.match(text) is not None


MultiLine = Annotated[str, AfterValidator(strip_controls)]
OneLine = Annotated[str, Field(pattern=ONE_LINE)]
