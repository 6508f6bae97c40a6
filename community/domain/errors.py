"""One error hierarchy; `http/errors.py` turns any of these into problem+json."""

from __future__ import annotations

from typing import ClassVar


class CommunityError(Exception):
    code: ClassVar[str] = "bad_request"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **data: object) -> None:
        super().__init__(detail)
        self.detail, self.data = detail, data


class BadRequestError(CommunityError):
    pass


class ValidationFailedError(CommunityError):
    code, status, title = "validation_failed", 422, "Validation failed"

    def __init__(self, detail: str, errors: list[dict[str, object]]) -> None:
        super().__init__(detail, errors=errors)


class UnauthorizedError(CommunityError):
    code, status, title = "unauthorized", 401, "Unauthorized"


class ForbiddenError(CommunityError):
    code, status, title = "forbidden", 403, "Forbidden"


class NotFoundError(CommunityError):
    code, status, title = "not_found", 404, "Not found"


class ConflictError(CommunityError):
    code, status, title = "conflict", 409, "Conflict"


class SeatLimitError(CommunityError):
    code, status, title = "seat_limit", 402, "Seat limit reached"


class GoneError(CommunityError):
    code, status, title = "gone", 410, "Gone"


class PayloadTooLargeError(CommunityError):
    code, status, title = "payload_too_large", 413, "Payload too large"


class UnsupportedMediaTypeError(CommunityError):
    code, status, title = "unsupported_media_type", 415, "Unsupported media type"


class RateLimitedError(CommunityError):
    code, status, title = "rate_limited", 429, "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class PlanRequiredError(CommunityError):
    """The org's plan lacks the feature: the answer names the lowest tier that has it."""

    code, status, title = "plan_required", 402, "Plan upgrade required"

    def __init__(self, detail: str, *, required_tier: str) -> None:
        super().__init__(detail, required_tier=required_tier)


class PaymentPastDueError(CommunityError):
    code, status, title = "payment_past_due", 402, "Payment past due"


class BillingDisabledError(CommunityError):
    code, status, title = "billing_disabled", 409, "Billing is not configured"


class ServiceUnavailableError(CommunityError):
    """Something we depend on (a DNS resolver) did not answer: try again later."""

    code, status, title = "service_unavailable", 503, "Service unavailable"
