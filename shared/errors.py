"""Domain errors; the HTTP error middleware maps each to its status and a JSON body."""


class HttpError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(HttpError):
    status, code = 400, "bad_request"


class Unauthorized(HttpError):
    status, code = 401, "unauthorized"


class Forbidden(HttpError):
    status, code = 403, "forbidden"


class NotFound(HttpError):
    status, code = 404, "not_found"


class Conflict(HttpError):
    status, code = 409, "conflict"


class PayloadTooLarge(HttpError):
    status, code = 413, "payload_too_large"


class Unprocessable(HttpError):
    status, code = 422, "validation_error"


class TooManyRequests(HttpError):
    status, code = 429, "too_many_requests"


class Unavailable(HttpError):
    status, code = 503, "unavailable"
