"""Password hashing: Argon2id with OWASP's parameters.

OWASP's Password Storage Cheat Sheet (2023 revision) names Argon2id with 19 MiB of memory,
2 iterations and 1 degree of parallelism as its first choice. That costs a few tens of
milliseconds on one core and resists GPU guessing better than PBKDF2-SHA256 at Django's default
count, which costs more CPU time per sign-in and did most of the 2–5 s an official's password
step took under load. Hashes made with PBKDF2 before still verify and are rehashed to
Argon2id at the next successful sign-in (Django's hasher upgrade).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idHasher(Argon2PasswordHasher):
    """Argon2id, m = 19 MiB, t = 2, p = 1."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
