"""Settings, read only from `PARROT_*` environment variables (docs/operations.md "Settings").

There is no module-level instance: the entry point builds one and hands it to the
composition root (app/bootstrap.py), which is the only other reader.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import secrets
import socket
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _random_node_id() -> str:
    """The host's name (a container's is its ID) and 6 random hex digits: unique per process,
    and readable in logs and in Redis."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:40].strip("-.") or "node"
    return f"{host}-{secrets.token_hex(3)}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARROT_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Interface to bind.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one).")
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        ("localhost", "127.0.0.1", "[::1]"),
        description="Comma list of the names this server may be addressed by (the Host header; "
        "else 400), *.domain for subdomains, * for any; also the hosts of the default origins.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma list of exact scheme://host[:port] origins allowed to open /ws; "
        "empty: origins on an allowed host at the port the request was addressed to.",
    )
    require_origin: bool = Field(False, description="Refuse handshakes without Origin.")
    max_connections: int = Field(10_000, ge=1)
    max_room_members: int = Field(100, ge=1)
    max_rooms_per_connection: int = Field(10, ge=1)
    history_size: int = Field(50, ge=1, le=50)
    max_message_chars: int = Field(512, ge=1)
    max_frame_bytes: int = Field(16_384, ge=1024)
    outbox_max_events: int = Field(256, ge=8, description="Frames queued per connection.")
    outbox_max_bytes: int = Field(
        1_048_576,
        ge=65_536,
        description="Characters of frames queued per connection (bytes for ASCII).",
    )
    rate_messages: Annotated[tuple[tuple[int, float], ...], NoDecode] = Field(
        ((5, 2.0), (60, 60.0)),
        description="Messages per connection: comma list of COUNT/SECONDS windows, all enforced.",
    )
    rate_joins: Annotated[tuple[tuple[int, float], ...], NoDecode] = Field(
        ((10, 60.0),), description="Joins per connection, as COUNT/SECONDS windows."
    )
    rate_events: Annotated[tuple[tuple[int, float], ...], NoDecode] = Field(
        ((20, 1.0), (300, 60.0)),
        description="Inbound frames of any kind per connection (typing and ping included), as "
        "COUNT/SECONDS windows; the ones over it are refused and count as abuse.",
    )
    recent_departures: int = Field(
        20, ge=0, le=100, description="Members who left that `joined.recent` lists (newest)."
    )
    send_timeout_s: float = Field(
        5.0, gt=0, description="A send to one client taking longer marks it a slow consumer."
    )
    profanity_deny_file: str = Field(
        "", description="Word list (one term a line) whose terms block a message; empty: default."
    )
    profanity_redact_file: str = Field(
        "", description="Word list whose terms are masked with *; empty: better-profanity's list."
    )
    profanity_allow_file: str = Field(
        "", description="Terms never blocked or masked (false positives, identity terms)."
    )
    profanity_extra_deny: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma list of terms added to the deny list."
    )
    profanity_extra_redact: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma list of terms added to the redact list."
    )
    http_impl: Literal["httptools", "h11"] = Field(
        "httptools", description="HTTP/1.1 parser uvicorn runs; the admission limits hold for both."
    )
    handshake_timeout_s: float = Field(
        5.0,
        gt=0,
        description="From accept (or the previous response) to a complete request head, and "
        "for a WebSocket on to the 101; later: 408 and close.",
    )
    max_pending_handshakes: int = Field(
        1000, ge=1, description="Sockets still in their handshake, beside max_connections."
    )
    max_header_bytes: int = Field(
        16_384, ge=1024, description="Request line and headers, in bytes; more: 431."
    )
    max_headers: int = Field(100, ge=8, description="Header fields per request; more: 431.")
    hello_timeout_s: float = Field(10.0, gt=0)
    idle_timeout_s: float = Field(600.0, gt=0)
    ping_interval_s: float = Field(20.0, gt=0)
    kick_cooldown_s: float = Field(3600.0, ge=0)
    shutdown_grace_s: float = Field(10.0, gt=0)
    sweep_interval_s: float = Field(5.0, gt=0, description="Presence/typing housekeeping.")
    log_level: str = Field("INFO")
    log_format: Literal["json", "console"] | None = Field(
        None, description="json or console; default: json unless stderr is a terminal."
    )
    redis_url: str = Field(
        "", description="Empty: in-memory, one node. Set: every process on this Redis is one chat."
    )
    redis_prefix: str = Field(
        "parrot:",
        pattern=r"^[A-Za-z0-9_.:-]*$",
        description="Prefix of every Redis key and channel (several deployments on one Redis).",
    )
    redis_timeout_s: float = Field(
        2.0, gt=0, description="Redis connect and command timeout; later: service_unavailable."
    )
    node_id: str = Field(
        default_factory=_random_node_id,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="This process's name among the nodes (unique); default: hostname + random.",
    )
    heartbeat_interval_s: float = Field(
        2.0, gt=0, description="How often a node renews its liveness key in Redis."
    )
    node_ttl_s: float = Field(
        6.0,
        gt=0,
        description="A node not heard from for this long is presumed dead; the others remove "
        "its members. A few seconds more than the heartbeat interval.",
    )

    # Identity and attachments (docs/operations.md "Keys"; decision records 0020-0022).
    auth: Literal["off", "optional", "required"] = Field(
        "off", description="off: guests only; optional: hello.token verified when given."
    )
    jwt_secret: SecretStr = Field(SecretStr(""), description="HS256 secret (32+ bytes).")
    jwt_public_key: str = Field("", description="RS256/ES256 public key: PEM text or a path.")
    jwt_jwks_file: str = Field("", description="A local JWKS file (keys told apart by kid).")
    jwt_issuer: str = Field("", description="Required `iss`, when set.")
    jwt_audience: str = Field("", description="Required `aud`, when set.")
    jwt_leeway_s: float = Field(30.0, ge=0, le=300, description="Clock skew allowed.")
    jwt_name_claim: str = Field(
        "preferred_username", min_length=1, description="The claim holding the display name."
    )
    secret_key: SecretStr = Field(
        SecretStr(""), description="HMAC key of signed URLs (32+ bytes); empty: random."
    )
    secret_key_previous: SecretStr = Field(
        SecretStr(""), description="The key before the last rotation, still accepted."
    )
    upload_dir: str = Field("", description="Directory of attachments; empty: attachments off.")
    upload_max_bytes: int = Field(5_242_880, ge=1, description="Largest attachment.")
    upload_room_max_bytes: int = Field(
        52_428_800, ge=1, description="All attachments of one room together."
    )
    upload_url_ttl_s: float = Field(300.0, gt=0, description="Lifetime of an upload URL.")
    download_url_ttl_s: float = Field(3600.0, gt=0, description="Lifetime of a download URL.")
    # Private rooms (decision record 0025); the maxima may lower the protocol's ceilings
    # (7 days, 1000 uses), not raise them.
    invite_ttl_s: int = Field(3600, ge=60, description="Lifetime of an invite by default.")
    invite_max_ttl_s: int = Field(
        604_800, ge=60, le=604_800, description="The longest lifetime an owner may ask for."
    )
    invite_max_uses: int = Field(
        1000, ge=1, le=1000, description="The most joins one invite may admit."
    )
    rejoin_ttl_s: int = Field(
        86_400,
        ge=60,
        description="Lifetime of the rejoin pass each `joined` of a private room hands its "
        "member (it also ends with the room's epoch).",
    )

    @model_validator(mode="after")
    def _invite_ttl_within_max(self) -> Settings:
        if self.invite_ttl_s > self.invite_max_ttl_s:
            raise ValueError("PARROT_INVITE_TTL_S may not exceed PARROT_INVITE_MAX_TTL_S")
        return self

    @model_validator(mode="after")
    def _ttl_outlives_heartbeats(self) -> Settings:
        if self.node_ttl_s <= self.heartbeat_interval_s:
            raise ValueError(
                "PARROT_NODE_TTL_S must be longer than PARROT_HEARTBEAT_INTERVAL_S "
                "(a node would be presumed dead between two heartbeats)"
            )
        return self

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            hosts = tuple(_allowed_host(str(part)) for part in value)
            if not hosts:
                raise ValueError("list at least one host name, or * for any")
            return hosts
        return value

    @field_validator("profanity_extra_deny", "profanity_extra_redact", mode="before")
    @classmethod
    def _split_terms(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("rate_messages", "rate_joins", "rate_events", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        windows = []
        for part in value.split(","):
            count, _, seconds = part.strip().partition("/")
            if not count or not seconds:
                raise ValueError(f"expected COUNT/SECONDS, got {part.strip()!r}")
            windows.append((int(count), float(seconds)))
        return tuple(windows)


def _allowed_host(entry: str) -> str:
    """One entry of PARROT_ALLOWED_HOSTS as the Host check compares it: lower case, IPv6 in
    brackets (as it appears in a Host header), a wildcard only as a leading `*.`."""
    host = entry.strip().lower()
    with contextlib.suppress(ValueError):
        return f"[{ipaddress.IPv6Address(host)}]"
    if host == "*" or (host.startswith("*.") and "*" not in host[1:]):
        return host
    if host.startswith("[") and host.endswith("]"):
        return f"[{ipaddress.IPv6Address(host[1:-1])}]"
    if not host or any(c in host for c in ":/@*[] "):
        raise ValueError(f"{entry.strip()!r} is not a host name (no scheme or port)")
    return host
