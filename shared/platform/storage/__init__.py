"""The storage primitives that give exactly-once effects on MongoDB and FerretDB alike.

Why these and nothing else: FerretDB v1 (SQLite), which these machines run, has no
multi-document transactions, uses an index only for an exact `_id` match, and updates a
document by reading it, changing it and writing it back without isolation, so of two
concurrent updates of one document one can be silently lost. What it does guarantee, as
MongoDB does, is that inserting an `_id` that exists fails, atomically. So every decision
("who does this", "was this done") is a unique `_id` insert, and every document that is
updated has a single writer at a time. docs/architecture.md says which service uses which.

- `writes`: insert-or-ignore (one or many), an upsert that tolerates a racing insert, and
  writes retried while SQLite is busy, checked by a fence before every attempt.
- `claims`: claim with lease: attempt-numbered claims, one winner per attempt, the next
  attempt only once the last one's lease ran out (or it was given up); and a lock built on
  them for short critical sections.
- `lease`: a single-writer lease with fencing, held by time slots, renewed ahead.
- `group`: group-committed inserts: concurrent single inserts share one `insert_many`.
"""
