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
    # A staff member's account id ("" for a script token): what makes an article theirs,
    # since two people may have the same name.
    id: str = ""

    def may(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def may_read(editor: Editor, owner: str | None) -> bool:
    """Editors read any article; a contributor their own (a script token owns none)."""
    return editor.may("editor") or (bool(editor.id) and owner == editor.id)


def may_change(editor: Editor, owner: str | None, status: str) -> bool:
    """Editors change any article; a contributor only their own, before an editor takes it
    (a draft, or one waiting for review, which they may still withdraw)."""
    return editor.may("editor") or (may_read(editor, owner) and status in {"draft", "review"})
