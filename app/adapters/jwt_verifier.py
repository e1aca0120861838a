"""The TokenVerifier port on PyJWT: a JWT checked against keys configured on this server.

Keys come from one place: an HMAC secret (HS256), a PEM public key (RS256 for RSA, ES256 for
an EC P-256 key) or a local JWKS file (each key's algorithm fixed by its type, and by its
`alg` when it names one; several keys are told apart by `kid`, which is how a key is rotated).
A token's header only selects among those keys: the algorithms accepted for a key are pinned
by the key, so `none`, HS256 signed with an RSA public key and every other algorithm swap are
refused, and keys the header points to (`jku`, `x5u`, `jwk`, `x5c`) are never fetched or used.

PyJWT checks the signature first and the claims only after it, so what a refusal says about
the claims is said only to holders of a genuinely signed token; anything about keys,
algorithms or the signature is one reason, "the token could not be verified".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from app.ports import Identity, TokenRejected

ALLOWED_ALGORITHMS = frozenset({"HS256", "RS256", "ES256"})
MIN_SECRET_BYTES = 32
MIN_RSA_BITS = 2048
MAX_SUB_CHARS = 256
UNVERIFIABLE = "the token could not be verified"


class KeyConfigError(ValueError):
    """The configured keys are unusable (the server refuses to start)."""


@dataclass(frozen=True, slots=True)
class VerificationKey:
    algorithm: str
    key: Any
    """What PyJWT verifies with: bytes for HS256, a cryptography public key otherwise."""
    kid: str | None = None


class JwtVerifier:
    def __init__(
        self,
        keys: Iterable[VerificationKey],
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_s: float = 30.0,
        name_claim: str = "preferred_username",
    ) -> None:
        self._keys = tuple(keys)
        if not self._keys:
            raise KeyConfigError("no verification key")
        self._issuer = issuer or None
        self._audience = audience or None
        self._leeway_s = leeway_s
        self._name_claim = name_claim

    def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenRejected(UNVERIFIABLE) from None
        algorithm, kid = header.get("alg"), header.get("kid")
        candidates = [
            k for k in self._keys if k.algorithm == algorithm and (kid is None or k.kid == kid)
        ]
        if not candidates:
            raise TokenRejected(UNVERIFIABLE)
        claims: dict[str, Any] | None = None
        for candidate in candidates:
            try:
                claims = self._decode(token, candidate)
                break
            except jwt.InvalidSignatureError:
                continue  # another key of the same algorithm (no kid) may have signed it
        if claims is None:
            raise TokenRejected(UNVERIFIABLE)
        sub = claims.get("sub")
        if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUB_CHARS or not sub.isprintable():
            raise TokenRejected("the token's sub claim is not a usable user id")
        name = claims.get(self._name_claim)
        exp = claims.get("exp")
        expires_at = float(exp) + self._leeway_s if isinstance(exp, int | float) else None
        return Identity(
            sub=sub, name=name if isinstance(name, str) else None, expires_at=expires_at
        )

    def _decode(self, token: str, key: VerificationKey) -> dict[str, Any]:
        required = ["exp", "iat", "sub"] + (["iss"] if self._issuer else [])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway_s,
                options={"require": required},
            )
        except jwt.InvalidSignatureError:
            raise
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("the token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidIssuerError:
            raise TokenRejected("the token's issuer is not accepted here") from None
        except jwt.InvalidAudienceError:
            raise TokenRejected("the token's audience is not accepted here") from None
        except jwt.MissingRequiredClaimError as missing:
            raise TokenRejected(f"the token has no {missing.claim} claim") from None
        except jwt.InvalidIssuedAtError:
            raise TokenRejected("the token's iat claim is not a time") from None
        except jwt.InvalidTokenError:
            raise TokenRejected(UNVERIFIABLE) from None
        return claims


# --- keys from the settings ---------------------------------------------------------------


def secret_key(secret: str) -> VerificationKey:
    data = secret.encode("utf-8")
    if len(data) < MIN_SECRET_BYTES:
        raise KeyConfigError(f"PARROT_JWT_SECRET needs at least {MIN_SECRET_BYTES} bytes")
    return VerificationKey("HS256", data)


def public_key(pem_or_path: str) -> VerificationKey:
    """A PEM public key, given as the PEM text itself or as the path of a file holding it."""
    text = pem_or_path.strip()
    if not text.startswith("-----BEGIN"):
        try:
            text = Path(text).read_text("ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise KeyConfigError(f"cannot read PARROT_JWT_PUBLIC_KEY: {error}") from None
    try:
        key = load_pem_public_key(text.encode("ascii"))
    except ValueError:
        raise KeyConfigError("PARROT_JWT_PUBLIC_KEY is not a PEM public key") from None
    return VerificationKey(_algorithm_of(key), key)


def jwks_keys(path: str) -> list[VerificationKey]:
    """Every signing key of a local JWKS file (never fetched from a URL)."""
    try:
        document = json.loads(Path(path).read_text("utf-8"))
        entries = document["keys"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KeyConfigError(f"PARROT_JWT_JWKS_FILE is not a readable JWKS: {error}") from None
    if not isinstance(entries, list) or not entries:
        raise KeyConfigError("PARROT_JWT_JWKS_FILE holds no keys")
    keys = [key for entry in entries if (key := _jwks_entry(entry)) is not None]
    if not keys:
        raise KeyConfigError("PARROT_JWT_JWKS_FILE holds no signing keys")
    return keys


def _jwks_entry(entry: object) -> VerificationKey | None:
    if not isinstance(entry, dict):
        raise KeyConfigError("PARROT_JWT_JWKS_FILE has an entry that is not a key")
    if entry.get("use", "sig") != "sig":
        return None
    kty = entry.get("kty")
    if kty != "oct" and "d" in entry:
        raise KeyConfigError("PARROT_JWT_JWKS_FILE holds a private key; give public keys")
    if "alg" in entry and entry["alg"] not in ALLOWED_ALGORITHMS:
        raise KeyConfigError(f"a key's alg must be one of {sorted(ALLOWED_ALGORITHMS)}")
    try:
        jwk = jwt.PyJWK(entry)
    except (jwt.PyJWKError, jwt.InvalidKeyError, NotImplementedError) as error:
        raise KeyConfigError(f"PARROT_JWT_JWKS_FILE has an unusable key: {error}") from None
    if kty == "oct":
        if len(jwk.key) < MIN_SECRET_BYTES:
            raise KeyConfigError(f"an oct key needs at least {MIN_SECRET_BYTES} bytes")
        expected = "HS256"
    else:
        expected = _algorithm_of(jwk.key)
    if jwk.algorithm_name != expected:
        raise KeyConfigError(f"a {kty} key may only be used for {expected}")
    return VerificationKey(expected, jwk.key, kid=entry.get("kid"))


def _algorithm_of(key: object) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise KeyConfigError(f"an RSA key needs at least {MIN_RSA_BITS} bits")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise KeyConfigError("only RSA (RS256) and EC P-256 (ES256) public keys are supported")


def build_token_verifier(
    *,
    secret: str,
    public_key_pem: str,
    jwks_file: str,
    issuer: str,
    audience: str,
    leeway_s: float,
    name_claim: str,
) -> JwtVerifier:
    """The verifier for exactly one configured key source."""
    if sum(1 for source in (secret, public_key_pem, jwks_file) if source) != 1:
        raise KeyConfigError(
            "set exactly one of PARROT_JWT_SECRET, PARROT_JWT_PUBLIC_KEY, PARROT_JWT_JWKS_FILE"
        )
    if secret:
        keys = [secret_key(secret)]
    elif public_key_pem:
        keys = [public_key(public_key_pem)]
    else:
        keys = jwks_keys(jwks_file)
    return JwtVerifier(
        keys, issuer=issuer, audience=audience, leeway_s=leeway_s, name_claim=name_claim
    )
