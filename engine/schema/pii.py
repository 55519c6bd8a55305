"""Personal data: what a column's name says (public) and what its values look like.

The name rules read nothing but the column's name, so they may decide a column's role without
any budget. The value rules look at cells; the schema proposal applies them to the whole column
(locally), DP inference only to labels that were released under DP (post-processing).
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Iterable

from engine.schema.kinds import Kind

_NAME_COLUMN = re.compile(r"(^|[_ .-])(full|first|last|given|family|sur|fore|middle|employee|person|maiden|manager"
                          r"|supervisor)?[_ .-]?name$")
_EMAIL_COLUMN = re.compile(r"e[-_ ]?mail")
_PHONE_COLUMN = re.compile(r"phone|mobile|(^|[_ ])cell($|[_ ])|telephone|(^|[_ ])tel($|[_ ])|fax")
_NATIONAL_ID_COLUMN = re.compile(r"ssn|social[_ ]?security|national[_ ]?id|passport|tax[_ ]?id|nino|insurance[_ ]?n"
                                 r"|(^|[_ ])sin($|[_ ])|bsn|iban")
KEY_COLUMN = re.compile(r"(^|[_ ])(id|no|nr|num|number|key|code|uuid|guid)$|^id[_ ]|_id$|identifier")
_BIRTH_COLUMN = re.compile(r"birth|dob|born")
_ADDRESS_COLUMN = re.compile(r"address|street|postcode|zip|ip[_ ]?addr")
EMAIL_VALUE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE_VALUE = re.compile(r"^\+?[\d ()./-]{7,20}$")
NATIONAL_ID_VALUE = re.compile(r"^(\d{3}-\d{2}-\d{4}|[A-Z]{2}\d{6}[A-D]|\d{2}\.?\d{2}\.?\d{2}[-.]?\d{3}\.?\d{2})$")
_PERSON_NAME_SHAPE = re.compile(r"^[^\W\d_][\w'’-]+(\s[^\W\d_][\w'’.-]*)+$")
_NAME_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL", "sv_SE",
                 "da_DK", "fi_FI", "tr_TR", "hi_IN")

REASONS = {"e-mail addresses": "email", "person names": "name", "phone numbers": "phone_number",
           "national ID numbers": "ssn"}


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """First names of many locales, from Faker's bundled lists (offline): how a person's name is
    told from a job title that has the same shape ("Hannah Smith" vs "Account Executive")."""
    found: set[str] = set()
    for locale in _NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            names = getattr(provider, attribute, None) or ()
            found.update(str(n).lower() for n in (names.keys() if hasattr(names, "keys") else names))
    return frozenset(found)


def looks_like_person(text: str) -> bool:
    """Two or more capitalised words whose first is a known first name."""
    return bool(_PERSON_NAME_SHAPE.match(text)) and text.split()[0].lower() in first_names()


def reason_from_name(name: str, kind: Kind | None) -> str | None:
    """Why the column's *name* marks it as personal data (``kind`` None: not known yet)."""
    lowered = name.strip().lower()
    if _EMAIL_COLUMN.search(lowered):
        return "e-mail addresses"
    if _NATIONAL_ID_COLUMN.search(lowered):
        return "national ID numbers"
    if _PHONE_COLUMN.search(lowered):
        return "phone numbers"
    if _NAME_COLUMN.search(lowered) and kind in (None, Kind.TEXT, Kind.CATEGORICAL):
        return "person names"
    if _BIRTH_COLUMN.search(lowered) and kind is Kind.DATE:
        return "exact birth dates"
    if _ADDRESS_COLUMN.search(lowered):
        return "addresses"
    return None


def reason_from_values(values: Iterable[tuple[str, float]]) -> str | None:
    """Why the values (text, weight) look like personal data: e-mails or national IDs in most of
    them, or people's names in nearly all of them (repeated names — a manager's — included)."""
    weights = {"email": 0.0, "national": 0.0, "person": 0.0}
    total = 0.0
    for text, weight in values:
        total += weight
        if EMAIL_VALUE.match(text):
            weights["email"] += weight
        elif NATIONAL_ID_VALUE.match(text):
            weights["national"] += weight
        elif looks_like_person(text):
            weights["person"] += weight
    if total <= 0:
        return None
    if weights["email"] / total > 0.5:
        return "e-mail addresses"
    if weights["national"] / total > 0.5:
        return "national ID numbers"
    if weights["person"] / total > 0.8:
        return "person names"
    return None


def fake_provider(reason: str | None) -> str:
    """The Faker provider that fills a column flagged for ``reason``."""
    return REASONS.get(reason or "", "employee_id" if reason and "key" in reason else "text")
