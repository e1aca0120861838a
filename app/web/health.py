"""REST: liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from app.web.deps import ContainerDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready"}, {"status": "draining"}, {"status": "unavailable"}]
        }
    )

    status: Literal["ready", "draining", "unavailable"]


@router.get("/healthz", operation_id="getHealth", summary="Liveness")
async def healthz() -> Health:
    """200 while the process runs."""
    return Health()


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="Readiness",
    responses={
        503: {
            "model": Readiness,
            "description": "Draining, or the shared store (Redis) is unavailable: send no new "
            "traffic.",
        }
    },
)
async def readyz(container: ContainerDep, response: Response) -> Readiness:
    """200 while accepting connections; 503 once a graceful shutdown has begun, and while
    Redis does not answer this node (several nodes on Redis)."""
    if container.connections.draining:
        response.status_code = 503
        return Readiness(status="draining")
    if not container.node.ready:
        response.status_code = 503
        return Readiness(status="unavailable")
    return Readiness(status="ready")
