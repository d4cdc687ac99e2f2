"""Staff and what their role lets them do.

Roles go up in rank: a contributor writes drafts and submits them for review; an editor
also reviews, edits, schedules, publishes and unpublishes; an administrator also manages
people, tokens and settings. A role may do whatever a lower one may.
"""

from dataclasses import dataclass
from typing import Literal

Role = Literal["contributor", "editor", "admin"]
ROLES: tuple[Role, ...] = ("contributor", "editor", "admin")


@dataclass(frozen=True)
class Editor:
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)
