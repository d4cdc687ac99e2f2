"""The fold: the lease holder turns stored messages into the figures, exactly once each.

Read in this order: `loop` (the lease, the inbox batch, set-asides), `plan` (pure: what a
batch claims, counts and writes; its arithmetic in `tally`), `record` (the commit: a fold
record), `apply` (the writes), and beside them `claims`, `summary` and `poison`.

A fold takes inbox documents, claims each message with a tombstone insert (a duplicate key
means it was folded before, unless that earlier claim belongs to a fold that never
committed), computes the increments, and commits by inserting the fold record
`_id = <sequence>` that holds them. Only then are the increments applied, each aggregate
document remembering the last sequence applied to it, so a fold cut short by a crash is
finished by the next holder without applying anything twice. No multi-document transaction
is needed: every decision is one unique insert, and every aggregate document has one writer
(the lease holder; the lease fences each write, so a slow former holder stops writing
before its successor starts).
"""

from services.counter.fold.loop import Folder

__all__ = ["Folder"]
