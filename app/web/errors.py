"""Domain errors at the HTTP edge: the error body model, and the handler that answers a ChatError
with its code's HTTP status (app/domain/codes.py)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError


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
        status_code=exc.code.info.http_status,
    )
