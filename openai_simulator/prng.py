"""Hash-based deterministic randomness: every value is a pure function of (seed, ids, time)."""

from __future__ import annotations

import hashlib
import struct

MASK64 = (1 << 64) - 1
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PACK4 = struct.Struct("<QQqQ").pack


def text_digest(seed: int, *parts: object, size: int = 32) -> bytes:
    """Digest of arbitrary parts; used at build time (ids, stream keys), not on hot paths."""
    data = "\x1f".join([str(seed), *(str(p) for p in parts)]).encode()
    return hashlib.blake2b(data, digest_size=size).digest()


def hot_digest(seed: int, key: int, day: int, salt: int, size: int) -> bytes:
    """Fast digest for the per-(stream, day[, hour]) values on the serving path."""
    return hashlib.blake2b(_PACK4(seed & MASK64, key & MASK64, day, salt & MASK64), digest_size=size).digest()


def stable_int(seed: int, *parts: object) -> int:
    return int.from_bytes(text_digest(seed, *parts, size=8), "little")


def unit(seed: int, *parts: object) -> float:
    """Uniform float in [0, 1)."""
    return stable_int(seed, *parts) / 2.0**64


def token(seed: int, *parts: object, length: int = 24) -> str:
    raw = text_digest(seed, *parts, size=64)
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in raw[:length])
