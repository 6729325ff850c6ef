"""Signed reviews: an ed25519 signature over (name, version, sha256, verdict).

Canonical bytes (UTF-8), the exact input to the signature::

    pt-tui-review-v1\\n<name>\\n<version>\\n<sha256>\\n<verdict>\\n

``name`` and ``version`` follow the index rules (no newline can occur), ``sha256`` is 64 lowercase hex
digits, ``verdict`` is ``approve`` or ``reject``. A reviewer is named in an index by its key id: the
first 16 hex digits of sha256 of the raw 32-byte public key. A review counts only when that key is in
the user's trusted reviewers (``[[reviewer]]`` in ``registries.toml``) and the signature verifies.
The user's own key is ``reviewer.key`` (PKCS#8 PEM, mode 0600) in the config dir.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pt_tui.sandbox.registry.config import TrustedReviewer
from pt_tui.sandbox.registry.errors import RegistryError
from pt_tui.sandbox.registry.index import NAME_RE, SEMVER_RE, SHA256_RE, Review
from pt_tui.sandbox.registry.paths import config_dir

MAGIC = "pt-tui-review-v1"
VERDICTS = ("approve", "reject")


def canonical_bytes(name: str, version: str, sha256: str, verdict: str) -> bytes:
    if not NAME_RE.match(name) or not SEMVER_RE.match(version):
        raise RegistryError(f"cannot review {name}@{version}: invalid name or version")
    if not SHA256_RE.match(sha256):
        raise RegistryError(f"cannot review {name}@{version}: {sha256!r} is not a lowercase hex sha256")
    if verdict not in VERDICTS:
        raise RegistryError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    return f"{MAGIC}\n{name}\n{version}\n{sha256}\n{verdict}\n".encode()


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw_public(key)).decode("ascii")


def key_id(public_key: Ed25519PublicKey | str) -> str:
    """The reviewer id written in an index: 16 hex digits of sha256(raw public key)."""
    raw = raw_public(public_key) if isinstance(public_key, Ed25519PublicKey) else _decode_public(public_key)
    return hashlib.sha256(raw).hexdigest()[:16]


def _decode_public(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RegistryError(f"not a base64 ed25519 public key: {text!r}") from exc
    if len(raw) != 32:
        raise RegistryError(f"an ed25519 public key is 32 bytes, this one is {len(raw)}")
    return raw


def load_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode_public(text))


def key_path() -> Path:
    return config_dir() / "reviewer.key"


def load_or_create_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The user's reviewer key, created (mode 0600) on first use."""
    path = path or key_path()
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise RegistryError(f"{path}: reviewer key is readable by others (mode {mode:o}); chmod 600 it")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RegistryError(f"{path}: not an ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def sign_review(key: Ed25519PrivateKey, name: str, version: str, sha256: str, verdict: str) -> Review:
    signature = key.sign(canonical_bytes(name, version, sha256, verdict))
    return Review(
        reviewer=key_id(key.public_key()),
        verdict=verdict,  # type: ignore[arg-type]  # checked by canonical_bytes
        sha256=sha256,
        signature=base64.b64encode(signature).decode("ascii"),
    )


def verify_review(review: Review, name: str, version: str, public_key: Ed25519PublicKey) -> bool:
    """True when ``review`` is a valid signature by ``public_key`` over its own fields for name@version."""
    try:
        signature = base64.b64decode(review.signature, validate=True)
        public_key.verify(signature, canonical_bytes(name, version, review.sha256, review.verdict))
    except (InvalidSignature, binascii.Error, ValueError, RegistryError):
        return False
    return True


@dataclass(frozen=True)
class ReviewCheck:
    """One review as judged for an artifact: ``counts`` is True only for a trusted, valid signature."""

    review: Review
    reviewer: str  # the trusted reviewer's name, or the key id when unknown
    counts: bool
    reason: str  # why it counts or not


def judge(
    reviews: Iterable[Review], name: str, version: str, sha256: str, trusted: Iterable[TrustedReviewer]
) -> list[ReviewCheck]:
    """Judge every review for ``name@version`` with artifact ``sha256``; one reviewer counts once."""
    keys: dict[str, tuple[str, Ed25519PublicKey]] = {}
    for reviewer in trusted:
        try:
            keys[key_id(reviewer.public_key)] = (reviewer.name, load_public(reviewer.public_key))
        except (RegistryError, ValueError):
            continue
    out: list[ReviewCheck] = []
    seen: set[str] = set()
    for review in reviews:
        known = keys.get(review.reviewer)
        who = known[0] if known else review.reviewer
        if review.sha256 != sha256:
            out.append(ReviewCheck(review, who, False, f"covers another artifact ({review.sha256[:12]})"))
        elif known is None:
            out.append(ReviewCheck(review, who, False, "reviewer not trusted"))
        elif not verify_review(review, name, version, known[1]):
            out.append(ReviewCheck(review, who, False, "bad signature"))
        elif review.reviewer in seen:
            out.append(ReviewCheck(review, who, False, "duplicate review by the same key"))
        else:
            seen.add(review.reviewer)
            out.append(ReviewCheck(review, who, True, f"valid {review.verdict}"))
    return out
