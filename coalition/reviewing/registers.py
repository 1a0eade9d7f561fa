"""Registers an organization's registry ID may come from, and whether an ID has the format of
the register it claims (the evidence's registry ID flag, ``coalition.reviewing.evidence``)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    code: str
    # When a registry ID claims to be this register's (its prefix or its shape) and what the
    # register's own numbers look like.
    claims: re.Pattern[str]
    valid: re.Pattern[str]


REGISTERS = (
    # The EU Transparency Register: twelve digits (ten or eleven for older entries), a hyphen and
    # two check digits, "123456789012-34". Claimed by an "EU"/"TR" prefix or a hyphenated number.
    Register(
        "eu-transparency",
        claims=re.compile(
            r"^\s*(?:(?:EU\s*)?(?:TR|Transparency\s+Register)\b[\s:#.-]*|EU\b[\s:#.-]*)"
            r"|^[\d\s]+-[\d\s-]*$",
            re.IGNORECASE,
        ),
        valid=re.compile(
            r"^\s*(?:(?:EU\s*)?(?:TR|Transparency\s+Register)\b[\s:#.-]*|EU\b[\s:#.-]*)?"
            r"\d{10,12}-\d{2}\s*$",
            re.IGNORECASE,
        ),
    ),
    # German court registers: associations (VR), companies (HRA, HRB), cooperatives (GnR),
    # partnerships (PR), then the number and, optionally, the court.
    Register(
        "de-court",
        claims=re.compile(r"^\s*(?:VR|HRA|HRB|GnR|PR)(?:\s|\d|$)", re.IGNORECASE),
        valid=re.compile(
            r"^\s*(?:VR|HRA|HRB|GnR|PR)\s?\d{1,6}(?:\s?[A-Z]{1,2})?(?:[\s,;(].*)?$",
            re.IGNORECASE,
        ),
    ),
    # France's Répertoire national des associations: W and nine digits.
    Register(
        "fr-rna",
        claims=re.compile(r"^\s*W\d", re.IGNORECASE),
        valid=re.compile(r"^\s*W\d{9}\s*$", re.IGNORECASE),
    ),
)


def claimed_register(registry_id: str) -> tuple[Register, bool] | None:
    """The register ``registry_id`` claims to be from and whether it has that register's
    format; None when it claims none we know."""
    for register in REGISTERS:
        if register.claims.search(registry_id):
            return register, bool(register.valid.match(registry_id))
    return None
