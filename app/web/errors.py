"""Domain errors at the HTTP edge: the status for each code, and the error body model."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.domain.errors import ChatError, ErrorCode

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.ROOM_NOT_FOUND: 404,
    ErrorCode.ROOM_INVALID: 422,
    ErrorCode.ROOM_RESERVED: 422,
}


class ErrorBody(BaseModel):
    """The body of every REST error that ParrotChat itself produces."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "room_not_found", "reason": "no room named 'lobby' exists"}]
        }
    )

    code: ErrorCode = Field(examples=["room_not_found"])
    reason: str = Field(examples=["no room named 'lobby' exists"])


async def chat_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ChatError)
    return JSONResponse(
        ErrorBody(code=exc.code, reason=exc.reason).model_dump(mode="json"),
        status_code=HTTP_STATUS.get(exc.code, 400),
    )
