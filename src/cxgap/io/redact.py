"""PII redaction: emails, phone numbers, card numbers, IBANs and known customer names become [KIND] tokens.

Applied to free text before it is stored, so nothing downstream (text analytics, reports, the dashboard) ever
sees the original. Irreversible by design: no mapping from token back to value is kept, only counts.
Card numbers must pass the Luhn check and IBANs the mod-97 check, so order numbers and amounts survive.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("email", "iban", "card", "phone", "name")

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_IBAN = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![\w])")
_CARD = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|\()?\d[\d ().\-/]{5,}\d(?![\w])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if c.isdigit())


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    text = candidate.replace(" ", "").upper()
    if not 15 <= len(text) <= 34:
        return False
    moved = text[4:] + text[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False


def _phone_ok(candidate: str) -> bool:
    if _DATE.match(candidate.strip()):
        return False
    count = len(_digits(candidate))
    prefixed = candidate.startswith(("+", "00", "("))
    return 7 <= count <= 15 if prefixed else 9 <= count <= 15


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def name_candidates(texts: Iterable[str], longest: int = 5) -> set[str]:
    """Every run of 2..`longest` words in the texts, lower-cased and case-folded: the only strings that can
    be a known customer's full name, so a few texts need only those names looked up, not every name."""
    keys: set[str] = set()
    for text in texts:
        words = [w.group(0) for w in _WORD.finditer(unicodedata.normalize("NFC", text))]
        for size in range(2, longest + 1):
            for i in range(len(words) - size + 1):
                run = " ".join(words[i : i + size])
                keys |= {run.lower(), _key(run)}
    return keys


@dataclass(frozen=True)
class Redacted:
    """Text with PII replaced by [EMAIL], [IBAN], [CARD], [PHONE], [NAME], and how many of each."""

    text: str
    counts: dict[str, int]


class Redactor:
    """Redacts the patterns above plus every known full customer name (and, per text, the author's name parts)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = {_key(" ".join(n.split())) for n in names if n and len(n.split()) >= 2}
        self.longest = max((len(n.split()) for n in self.names), default=2)

    def _sub(self, pattern: re.Pattern[str], kind: str, text: str, ok: object, counts: Counter[str]) -> str:
        def replace(match: re.Match[str]) -> str:
            value = match.group(0)
            if callable(ok) and not ok(value):
                return value
            counts[kind] += 1
            return f"[{kind.upper()}]"

        return pattern.sub(replace, text)

    def _names(self, text: str, own: set[str], counts: Counter[str], full: str = "") -> str:
        words = list(_WORD.finditer(text))
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            for size in range(min(max(self.longest, len(full.split())), len(words) - i), 0, -1):
                group = words[i : i + size]
                if any(text[a.end() : b.start()].strip() for a, b in zip(group, group[1:], strict=False)):
                    continue  # the words must be separated by spaces only
                key = _key(" ".join(w.group(0) for w in group))
                if (size >= 2 and (key in self.names or key == full)) or (size == 1 and key in own):
                    spans.append((group[0].start(), group[-1].end()))
                    i += size
                    break
            else:
                i += 1
        for start, end in reversed(spans):
            text = text[:start] + "[NAME]" + text[end:]
        counts["name"] += len(spans)
        return text

    def redact(self, text: str, author: str | None = None) -> Redacted:
        """Redact one text; `author` is the writer's own name, whose parts are redacted on their own too."""
        counts: Counter[str] = Counter()
        text = unicodedata.normalize("NFC", text)
        text = self._sub(_EMAIL, "email", text, None, counts)
        text = self._sub(_IBAN, "iban", text, _iban_ok, counts)
        text = self._sub(_CARD, "card", text, lambda v: _luhn(_digits(v)), counts)
        text = self._sub(_PHONE, "phone", text, _phone_ok, counts)
        own = {_key(part) for part in (author or "").split() if len(part) >= 2}
        if self.names or own:
            text = self._names(text, own, counts, _key(" ".join((author or "").split())))
        return Redacted(text, {k: counts[k] for k in KINDS if counts[k]})
