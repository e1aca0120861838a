"""FastAPI dependencies: how routes (REST and WebSocket alike) reach the container built at
startup. This is the only reader of `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from app.container import Container


def get_container(connection: HTTPConnection) -> Container:
    container: Container = connection.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]
