"""OpenAI's error envelope."""

from __future__ import annotations


class ApiError(Exception):
    """An error response: `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def bad_request(
    message: str, param: str | None = None, code: str | None = "invalid_request_error"
) -> ApiError:
    return ApiError(400, message, param=param, code=code)
