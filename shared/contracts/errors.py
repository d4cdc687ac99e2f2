"""The kinds of failure the services' code raises; the HTTP edge maps each to a status.

Domain and use-case code says what went wrong in its own terms; it never picks a status.
shared/platform/http.py answers each kind with its status and a JSON body
(`{"error": {"code", "message", "details"}}`). None of them is a retry signal.
"""


class DomainError(Exception):
    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Malformed(DomainError):
    """The request cannot be read (not JSON, a forbidden query key, a foreign cursor)."""


class Invalid(DomainError):
    """The request reads, but a value is not acceptable (`details` lists the fields)."""


class TooLarge(DomainError):
    """The request is larger than allowed."""


class Unauthenticated(DomainError):
    """No credential, or one that is not valid."""


class Forbidden(DomainError):
    """A valid credential that may not do this."""


class NotFound(DomainError):
    """No such thing (or none this caller may see)."""


class Conflict(DomainError):
    """The thing changed meanwhile, or is in a state that does not allow this."""


class Throttled(DomainError):
    """Too many requests from this client for now."""


class Unavailable(DomainError):
    """A dependency is down; the same request may work later."""
