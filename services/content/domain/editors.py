"""Editors and what their role lets them do."""

from dataclasses import dataclass
from typing import Literal

Role = Literal["editor", "admin"]


@dataclass(frozen=True)
class Editor:
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return self.role == "admin" or role == "editor"
