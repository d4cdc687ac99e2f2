"""Text from outside: one-line fields refuse control characters, multi-line ones drop them."""

import re
from typing import Annotated

from pydantic import AfterValidator

# C0 controls, DEL and C1 controls: a NUL breaks documents and logs, CR/LF break email
# headers, and none of them is ever text a person meant to write.
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
# Multi-line text keeps tab, line feed and carriage return, and loses the rest.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What an id made by a service looks like (content's article ids are 32 hex digits).
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


MultiLine = Annotated[str, AfterValidator(strip_controls)]
