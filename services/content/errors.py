"""HTTP errors the content service needs beyond those in shared/errors.py."""

from shared.errors import HttpError


class Forbidden(HttpError):
    status, code = 403, "forbidden"


class Conflict(HttpError):
    status, code = 409, "conflict"
