"""Mint a development JWT (HS256) signed with PARROT_JWT_SECRET, for `hello{token}`.

    PARROT_JWT_SECRET=... uv run task token -- --sub alice --name Alice

Adds `iss`/`aud` from PARROT_JWT_ISSUER / PARROT_JWT_AUDIENCE when they are set, so the token
passes a server configured the same way. For development only: a real deployment gets its
tokens from its identity provider.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import jwt

MIN_SECRET_BYTES = 32


def mint(
    secret: str,
    *,
    sub: str,
    name: str | None = None,
    ttl_s: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    name_claim: str = "preferred_username",
    now: float | None = None,
) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {"sub": sub, "iat": issued, "nbf": issued, "exp": issued + ttl_s}
    if name:
        claims[name_claim] = name
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sub", required=True, help="the user id")
    parser.add_argument("--name", help="the display name (the name claim)")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    args = parser.parse_args(argv)
    secret = os.environ.get("PARROT_JWT_SECRET", "")
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        print(f"set PARROT_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes)", file=sys.stderr)
        return 2
    print(
        mint(
            secret,
            sub=args.sub,
            name=args.name,
            ttl_s=args.ttl,
            issuer=os.environ.get("PARROT_JWT_ISSUER") or None,
            audience=os.environ.get("PARROT_JWT_AUDIENCE") or None,
            name_claim=os.environ.get("PARROT_JWT_NAME_CLAIM") or "preferred_username",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
