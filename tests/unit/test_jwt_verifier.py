"""Token verification (app/adapters/jwt_verifier.py) against tokens made here: the keys are
generated per run, the clock is the real one (PyJWT reads it), so times are relative to now."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app.adapters.jwt_verifier import (
    UNVERIFIABLE,
    JwtVerifier,
    KeyConfigError,
    build_token_verifier,
    jwks_keys,
    public_key,
    secret_key,
)
from app.ports import Identity, TokenRejected

# Tokens for other HMAC algorithms are made on purpose with a key too short for them.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

SECRET = "a-development-secret-of-at-least-32-bytes"
OTHER_SECRET = "another-secret-that-is-also-long-enough!!"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


RSA_PEM = _pem(RSA_KEY)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "alice", "iat": now, "nbf": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs(payload: dict[str, Any], secret: str = SECRET, **kw: Any) -> str:
    return jwt.encode(payload, secret, algorithm=kw.pop("algorithm", "HS256"), **kw)


def hs_verifier(**kw: Any) -> JwtVerifier:
    return JwtVerifier([secret_key(SECRET)], leeway_s=5, **kw)


def rejected(verifier: JwtVerifier, token: str) -> str:
    with pytest.raises(TokenRejected) as refusal:
        verifier.verify(token)
    return refusal.value.reason


def test_a_valid_hs256_token_gives_its_sub_and_name() -> None:
    token = hs(claims(preferred_username="Alice"))
    assert hs_verifier().verify(token) == Identity(sub="alice", name="Alice")


def test_the_name_claim_is_configurable_and_optional() -> None:
    token = hs(claims(name="Alice Liddell", preferred_username="alice"))
    assert hs_verifier(name_claim="name").verify(token).name == "Alice Liddell"
    assert hs_verifier().verify(hs(claims())).name is None
    assert hs_verifier().verify(hs(claims(preferred_username=42))).name is None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        (_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()), _b64(signature))
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda: hs(claims(exp=int(time.time()) - 60)), "the token has expired", id="expired"
        ),
        pytest.param(
            lambda: hs(claims(nbf=int(time.time()) + 120)), "not valid yet", id="not-yet-valid-nbf"
        ),
        pytest.param(
            lambda: hs(claims(iat=int(time.time()) + 120)),
            "not valid yet",
            id="issued-in-the-future",
        ),
        pytest.param(lambda: hs(claims(), OTHER_SECRET), UNVERIFIABLE, id="wrong-key"),
        pytest.param(lambda: hs(claims(), algorithm="HS512"), UNVERIFIABLE, id="wrong-algorithm"),
        pytest.param(
            lambda: _forged({"alg": "none", "typ": "JWT"}, claims()), UNVERIFIABLE, id="alg-none"
        ),
        pytest.param(
            lambda: _forged({"alg": "None"}, claims()), UNVERIFIABLE, id="alg-None-capitalised"
        ),
        pytest.param(lambda: hs(claims(sub=None)), "no sub claim", id="missing-sub"),
        pytest.param(lambda: hs(claims(exp=None)), "no exp claim", id="missing-exp"),
        pytest.param(lambda: hs(claims(iat=None)), "no iat claim", id="missing-iat"),
        pytest.param(lambda: hs(claims(sub="")), "not a usable user id", id="empty-sub"),
        pytest.param(lambda: hs(claims(sub="a\nb")), "not a usable user id", id="sub-with-newline"),
        pytest.param(lambda: hs(claims(exp="tomorrow")), UNVERIFIABLE, id="exp-not-a-number"),
        pytest.param(lambda: hs(claims(aud="other-app")), "audience", id="audience-not-expected"),
        pytest.param(lambda: "not.a.token", UNVERIFIABLE, id="garbage"),
        pytest.param(lambda: "", UNVERIFIABLE, id="empty"),
    ],
)
def test_refused_tokens(make: Callable[[], str], reason: str) -> None:
    # Made when the test runs, not when it is collected: times are relative to now.
    assert reason in rejected(hs_verifier(), make())


def test_a_tampered_payload_fails_the_signature() -> None:
    header, _payload, signature = hs(claims()).split(".")
    evil = _b64(json.dumps(claims(sub="admin")).encode())
    assert rejected(hs_verifier(), f"{header}.{evil}.{signature}") == UNVERIFIABLE


def test_a_small_leeway_absorbs_clock_skew_but_no_more() -> None:
    just_expired = hs(claims(exp=int(time.time()) - 2))
    assert hs_verifier().verify(just_expired).sub == "alice"  # leeway 5 s
    assert "expired" in rejected(hs_verifier(), hs(claims(exp=int(time.time()) - 30)))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"iss": "https://other.example"}, "issuer", id="wrong-issuer"),
        pytest.param({"iss": None}, "no iss claim", id="missing-issuer"),
        pytest.param({"aud": "other-app"}, "audience", id="wrong-audience"),
        pytest.param({"aud": None}, "no aud claim", id="missing-audience"),
    ],
)
def test_issuer_and_audience_when_configured(overrides: dict[str, Any], reason: str) -> None:
    verifier = hs_verifier(issuer="https://id.example", audience="parrotchat")
    good = claims(iss="https://id.example", aud="parrotchat")
    assert verifier.verify(hs(good)).sub == "alice"
    bad = {k: v for k, v in {**good, **overrides}.items() if v is not None}
    assert reason in rejected(verifier, hs(bad))


def rs_verifier() -> JwtVerifier:
    return JwtVerifier([public_key(RSA_PEM)])


def test_rs256_with_a_pem_public_key() -> None:
    token = jwt.encode(claims(), RSA_KEY, algorithm="RS256")
    assert rs_verifier().verify(token).sub == "alice"
    assert rejected(rs_verifier(), jwt.encode(claims(), RSA_OTHER, algorithm="RS256")) == (
        UNVERIFIABLE
    )


def test_hs256_signed_with_the_rsa_public_key_is_refused() -> None:
    """The classic algorithm confusion: the public key (which anyone may have) used as an HMAC
    secret. PyJWT would refuse a PEM as an HMAC key anyway; here the key only accepts RS256."""
    import hashlib
    import hmac

    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims()).encode())
    mac = hmac.new(RSA_PEM.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert rejected(rs_verifier(), f"{header}.{payload}.{_b64(mac)}") == UNVERIFIABLE


def test_an_rs_key_refuses_ps_and_es_algorithms() -> None:
    assert rejected(rs_verifier(), jwt.encode(claims(), RSA_KEY, algorithm="PS256")) == (
        UNVERIFIABLE
    )
    assert rejected(rs_verifier(), jwt.encode(claims(), EC_KEY, algorithm="ES256")) == (
        UNVERIFIABLE
    )


def test_es256_with_a_pem_file(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_text(_pem(EC_KEY))
    verifier = JwtVerifier([public_key(str(path))])
    assert verifier.verify(jwt.encode(claims(), EC_KEY, algorithm="ES256")).sub == "alice"


def test_keys_named_in_the_header_are_never_used() -> None:
    """`jku`/`x5u` point at a key the attacker controls; `jwk` embeds one. None is fetched or
    trusted: the token is checked against the configured key and fails."""
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    embedded = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(attacker.public_key()))
    headers = {
        "jku": "http://127.0.0.1:9/jwks.json",
        "x5u": "http://127.0.0.1:9/c",
        "jwk": embedded,
    }
    token = jwt.encode(claims(), attacker, algorithm="RS256", headers=headers)
    assert rejected(rs_verifier(), token) == UNVERIFIABLE


def _jwks(tmp_path: Path, *entries: dict[str, Any]) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": list(entries)}))
    return str(path)


def _public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**entry, "kid": kid, "use": "sig"}


def test_a_jwks_file_selects_the_key_by_kid_so_keys_can_rotate(tmp_path: Path) -> None:
    path = _jwks(tmp_path, _public_jwk(RSA_KEY, "2026-01"), _public_jwk(RSA_OTHER, "2026-02"))
    verifier = JwtVerifier(jwks_keys(path))
    for key, kid in ((RSA_KEY, "2026-01"), (RSA_OTHER, "2026-02")):
        token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": kid})
        assert verifier.verify(token).sub == "alice"
    swapped = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "2026-02"})
    assert rejected(verifier, swapped) == UNVERIFIABLE
    unknown = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "nope"})
    assert rejected(verifier, unknown) == UNVERIFIABLE


def test_a_jwks_oct_key_is_hs256_only(tmp_path: Path) -> None:
    oct_key = {"kty": "oct", "kid": "h1", "k": _b64(SECRET.encode())}
    verifier = JwtVerifier(jwks_keys(_jwks(tmp_path, oct_key)))
    assert verifier.verify(hs(claims(), headers={"kid": "h1"})).sub == "alice"
    assert rejected(verifier, hs(claims(), algorithm="HS384", headers={"kid": "h1"})) == (
        UNVERIFIABLE
    )


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({**_public_jwk(RSA_KEY, "k"), "alg": "HS256"}, id="rsa-key-claiming-hs256"),
        pytest.param({**_public_jwk(RSA_KEY, "k"), "alg": "none"}, id="alg-none"),
        pytest.param({"kty": "oct", "k": _b64(b"short")}, id="short-oct-key"),
        pytest.param(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY)), id="private-key"),
    ],
)
def test_unusable_jwks_entries_stop_the_server(tmp_path: Path, entry: dict[str, Any]) -> None:
    with pytest.raises(KeyConfigError):
        jwks_keys(_jwks(tmp_path, entry))


@pytest.mark.parametrize(
    "config",
    [
        pytest.param({"secret": "short"}, id="short-secret"),
        pytest.param({}, id="no-key"),
        pytest.param({"secret": SECRET, "public_key_pem": RSA_PEM}, id="two-sources"),
        pytest.param({"public_key_pem": "-----BEGIN PUBLIC KEY-----\nxx\n"}, id="bad-pem"),
        pytest.param({"public_key_pem": "/nonexistent/key.pem"}, id="missing-file"),
        pytest.param(
            {
                "public_key_pem": _pem(
                    rsa.generate_private_key(public_exponent=65537, key_size=1024)
                )
            },
            id="rsa-1024",
        ),
        pytest.param({"public_key_pem": _pem(ec.generate_private_key(ec.SECP384R1()))}, id="p384"),
    ],
)
def test_unusable_key_settings_stop_the_server(config: dict[str, str]) -> None:
    settings = {"secret": "", "public_key_pem": "", "jwks_file": "", **config}
    with pytest.raises(KeyConfigError):
        build_token_verifier(
            **settings, issuer="", audience="", leeway_s=30, name_claim="preferred_username"
        )
