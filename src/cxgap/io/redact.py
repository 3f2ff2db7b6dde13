"""PII redaction: emails, phone numbers, card numbers, IBANs and known customer names become [KIND] tokens.

Applied to free text before it is stored, so nothing downstream (text analytics, reports, the dashboard) ever
sees the original. Irreversible by design: no mapping from token back to value is kept, only counts.

Linear time by construction: every pattern starts on a cheap anchor ('@', two letters and two digits, a digit
that starts a run of numbers), uses only possessive or bounded repetition, and may not start inside a run
another attempt already covered, so no character is examined more than a bounded number of times; Python code
runs once per candidate, and a candidate is at most a few dozen characters long.

Precision comes from validating every candidate: card numbers must have an issuer prefix of the right length
and pass the Luhn check, IBANs their country's length and the mod-97 check; dates, times, years, prices,
versions and order numbers are recognised and left alone; phone numbers must have a telephone shape (a + or 00
country code, a bracketed area code, a trunk 0, a North-American 3-3-4 grouping) or a cue word such as "call".
docs/redaction-quality.md measures precision and recall per kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("email", "iban", "card", "phone", "name")

_Span = tuple[int, int, str]  # start, end, kind

# ----------------------------------------------------------------------------------------------- emails

# A local part starts where no local-part character precedes it, so a run is scanned once (possessively).
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]++@[\w.-]++")


def _email_spans(text: str) -> list[_Span]:
    """Addresses, with a dotted domain ending in a word of letters, or an intranet host such as `localhost`."""
    if "@" not in text:
        return []
    spans: list[_Span] = []
    for match in _EMAIL.finditer(text):
        local, domain = match.group(0).split("@", 1)
        start = match.start() + len(local) - len(local.lstrip("."))
        domain = domain.rstrip(".-")
        if local.strip(".") and _domain_ok(domain, local):
            spans.append((start, match.start() + len(local) + 1 + len(domain), "email"))
    return spans


def _domain_ok(domain: str, local: str) -> bool:
    """Labels of letters, digits and inner hyphens; a top level of letters, or a one-label intranet host."""
    labels = domain.split(".")
    if not all(labels) or any(label.startswith("-") or label.endswith("-") for label in labels):
        return False
    if len(labels) == 1:  # intranet host: letters only, and a local part that is a name, not a number
        return len(domain) >= 2 and domain.isalpha() and any(c.isalpha() for c in local)
    top = labels[-1]
    return (len(top) >= 2 and top.isalpha()) or top.lower().startswith("xn--")


# ----------------------------------------------------------------------------------------------- IBANs

# Lengths from the SWIFT IBAN registry; a candidate must have its country's length and pass mod-97.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30, "IR": 26,
}  # fmt: skip
_IBAN_SEP = " \u00a0-"
# A zero-width match per anchor: the candidate (at most 34 characters and 33 single separators) is captured
# in a lookahead, so a failed candidate never hides an anchor inside it.
_IBAN = re.compile(
    rf"(?=[A-Za-z]{{2}}\d\d)(?<![^\W_])(?=((?:{'|'.join(_IBAN_LENGTHS)})\d{{2}}(?:[ \u00a0-]?+[A-Za-z\d]){{11,30}}+))",
    re.IGNORECASE,
)


# A candidate holds its country's number of characters, ending where a group ends.
_IBAN_BODIES = {
    n: re.compile(rf"[A-Za-z\d](?:[{_IBAN_SEP}]?+[A-Za-z\d]){{{n - 1}}}(?![A-Za-z\d])")
    for n in set(_IBAN_LENGTHS.values())
}
# Otherwise the whole of it: compact, or the bank code and then groups of up to 4 that hold a digit (so the
# words after an IBAN written in groups are not taken for more of it).
_IBAN_GROUPS = re.compile(
    rf"[A-Za-z]{{2}}\d\d(?:[A-Za-z\d]{{11,30}}+|(?:[{_IBAN_SEP}][A-Za-z\d]{{4}})?"
    rf"(?:[{_IBAN_SEP}](?=[A-Za-z]{{0,3}}\d)[A-Za-z\d]{{1,4}}+(?![A-Za-z\d])){{1,8}}+)(?![A-Za-z\d])"
)


def _iban_spans(text: str) -> list[_Span]:
    """IBANs written compactly or in groups separated by spaces or hyphens, upper or lower case. Strings
    shaped like one that fail mod-97 come back with kind "" so that no card or phone number is read in them."""
    spans: list[_Span] = []
    for match in _IBAN.finditer(text):
        if spans and match.start() < spans[-1][1]:
            continue
        found = _iban(match.group(1))
        if found and not text[match.start() + found[0] : match.start() + found[0] + 1].isalnum():
            spans.append((match.start(), match.start() + found[0], "iban" if found[1] else ""))
    return spans


def _iban(candidate: str) -> tuple[int, bool] | None:
    """Where the IBAN that starts `candidate` ends, and whether it passes mod-97: at its country's length,
    or else at the end of its groups, where a generator or a registry change gave it another length."""
    length = _IBAN_LENGTHS.get(candidate[:2].upper())
    body = _IBAN_BODIES[length].match(candidate) if length else None
    if body:
        return body.end(), _mod97(body.group(0))
    groups = _IBAN_GROUPS.match(candidate)
    if groups and 15 <= sum(c.isalnum() for c in groups.group(0)) <= 34:
        return groups.end(), _mod97(groups.group(0))
    return None


def _mod97(candidate: str) -> bool:
    """The IBAN check: the first four characters moved to the end, letters as 10..35, remainder 1 by 97."""
    compact = "".join(c for c in candidate if c not in _IBAN_SEP).upper()
    moved = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:  # a digit outside ASCII that int(c, 36) cannot read
        return False


# ----------------------------------------------------------------------------------------------- numbers

_SPACES = " \u00a0\u2009\u202f"
_DASHES = "-\u2010\u2011\u2012\u2013"
_PUNCT = "./" + _DASHES
_G = "[" + re.escape(_SPACES + _PUNCT + "()") + "]"  # what may separate the digit groups of one number
# Letters and digits that glue a number into a word ("20th", "A320", "v2"); CJK text has no spaces, so not it.
_GLUE = r"[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
_MAX_GROUPS = 16
# What glues the last digits of a number to something that is not a phone or card: a time (10:30), a decimal
# (1,5), a percentage, a word (20th, 4pm); not an extension (x204, ext. 3).
_GLUED = rf"[:,]\d|[%°‰]|(?![xX]\d|(?i:ext))(?:{_GLUE})"
# A run of digit groups joined by one to three separators. It starts only on a digit that no letter, digit or
# other group of the run precedes, so the engine scans each run once; runs of fewer than 8 digits (nothing we
# redact is shorter) fail in the lookahead, and so do single groups glued to a word or a time. At most 16
# groups are taken at once (see `_number_spans`).
_CHAIN = re.compile(
    rf"\d(?<!{_GLUE}\d)(?<!\d{_G}\d)(?<!\d{_G}{{2}}\d)(?<!\d{_G}{{3}}\d)"
    rf"(?=(?:{_G}{{0,3}}+\d){{7}})\d*+(?!{_GLUED})(?:{_G}{{1,3}}+\d++(?!{_GLUED})){{0,{_MAX_GROUPS - 1}}}+"
)
_GROUPS = re.compile(rf"\d++(?:{_G}{{1,3}}+\d++(?!{_GLUED})){{0,{_MAX_GROUPS - 1}}}+")
_MORE = re.compile(rf"{_G}{{1,3}}+\d")
_RUN = re.compile(r"\d++")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extn\.?|extension)\s?\d{1,6}(?!\d)", re.IGNORECASE)
_CODE_BEFORE = re.compile(r"[^\W\d_][-/]$")
_CODE_AFTER = re.compile(r"[-/][^\W\d_]")
_WORDS = re.compile(r"[^\W\d_]+")


def _ascii(digits: str) -> str:
    """Digits of any script (full-width, Arabic-Indic) as ASCII, for the checks that do arithmetic."""
    return digits if digits.isascii() else "".join(str(unicodedata.digit(c)) for c in digits)


@dataclass(frozen=True)
class _Part:
    """Digit groups of one run that may form one number: positions, ASCII digits, separators between."""

    starts: list[int]
    ends: list[int]
    digits: list[str]
    gaps: list[str]

    def sub(self, i: int, j: int) -> _Part:
        """Groups i..j-1 and the separators between them."""
        return _Part(self.starts[i:j], self.ends[i:j], self.digits[i:j], self.gaps[i : j - 1])


def _number_spans(text: str, taken: list[_Span]) -> list[_Span]:
    """Card numbers and phone numbers, from runs of at least 8 digits not overlapping `taken` (sorted). A run
    longer than 16 groups is analysed 16 groups at a time, continuing after each number found (a list of
    phone numbers), and abandoned at the first stretch that holds none (so 1 2 3 4 ... costs one pass)."""
    spans: list[_Span] = []
    blocked = iter(taken)
    block = next(blocked, None)
    for chain in _CHAIN.finditer(text):
        start, end = chain.span()
        while block and block[1] <= start:
            block = next(blocked, None)
        if block and block[0] < end:
            continue
        while True:
            found = _chain_spans(text, start, end)
            spans += found
            more = _GROUPS.search(text, found[-1][1]) if found and _MORE.match(text, end) else None
            if more is None:
                break
            start, end = more.span()
    return spans


def _chain_spans(text: str, start: int, end: int) -> list[_Span]:
    """The numbers in one run of digit groups, unless the run is glued into a code by a hyphen or slash."""
    if _CODE_BEFORE.search(text, max(0, start - 2), start) or _CODE_AFTER.match(text, end):
        return []  # part of a code such as INV-2024-0042 or 2024-0042-AB
    spans: list[_Span] = []
    for part in _parts(text, start, end):
        spans += _scan(text, part)
    return spans


def _parts(text: str, start: int, end: int) -> list[_Part]:
    """The run split where a separator is too loose to join one number, with dates cut out, and without
    a first group that is the minutes of a time or the decimals of an amount."""
    runs = list(_RUN.finditer(text, start, end))
    starts, ends = [m.start() for m in runs], [m.end() for m in runs]
    digits = [_ascii(m.group(0)) for m in runs]
    gaps = [text[a:b] for a, b in zip(ends, starts[1:], strict=False)]
    keep = [len(d) <= 19 for d in digits]
    if start >= 2 and text[start - 1] in ":," and text[start - 2].isdigit():
        keep[0] = False
    for i in _date_groups(digits, gaps):
        keep[i] = False
    parts: list[_Part] = []
    first = 0
    for i in range(len(digits) + 1):
        if i == len(digits) or not keep[i] or (i > first and not _gap_ok(gaps[i - 1])):
            if i > first:
                parts.append(_Part(starts[first:i], ends[first:i], digits[first:i], gaps[first : i - 1]))
            first = i + 1 if i < len(digits) and not keep[i] else i
    return parts


def _gap_ok(gap: str) -> bool:
    """At most one space, one of - . / and one bracket each way: '555) 123', ' (0)', but not ' - '."""
    return (
        sum(c in _SPACES for c in gap) <= 1
        and sum(c in _PUNCT for c in gap) <= 1
        and gap.count("(") <= 1
        and gap.count(")") <= 1
    )


def _date_groups(digits: list[str], gaps: list[str]) -> list[int]:
    """Indexes of groups forming a date: three groups joined by the same one of - / . and by nothing more of
    it (so 06.12.34.56.78 stays a French phone number), shaped as a day, month and year in some order."""
    found: list[int] = []
    for i in range(len(digits) - 2):
        sep = gaps[i]
        if sep not in ("-", "/", ".") or gaps[i + 1] != sep:
            continue
        if (i > 0 and gaps[i - 1] == sep) or (i + 2 < len(gaps) and gaps[i + 2] == sep):
            continue
        if _is_date(*digits[i : i + 3]):
            found += [i, i + 1, i + 2]
    return found


def _is_date(a: str, b: str, c: str) -> bool:
    """Year-month-day, or day and month in either order then a 2- or 4-digit year."""
    if len(a) == 4:
        return 1900 <= int(a) <= 2099 and len(b) <= 2 and len(c) <= 2 and _day_month(c, b)
    if len(a) > 2 or len(b) > 2 or len(c) not in (2, 4):
        return False
    return (len(c) == 2 or 1900 <= int(c) <= 2099) and (_day_month(a, b) or _day_month(b, a))


def _day_month(day: str, month: str) -> bool:
    """Whether the two could be a day and a month (not checking the month's length)."""
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _scan(text: str, part: _Part) -> list[_Span]:
    """Numbers in one part, left to right, longest first: a card or a phone number may be followed by more
    digits ('4111111111111111 12/27'); a weaker phone shape must take the rest of the part."""
    spans: list[_Span] = []
    i, n = 0, len(part.digits)
    total = [0]
    for digits in part.digits:
        total.append(total[-1] + len(digits))
    while i < n:
        for j in range(min(n, i + 8), i, -1):
            if not 8 <= total[j] - total[i] <= 19:
                continue  # no card or phone number is shorter or longer
            if j < n and not any(c in _SPACES for c in part.gaps[j - 1]):
                continue  # a number ends before a space, or where the part ends
            window = part.sub(i, j)
            following = _continuation(part, i, j)
            found = _card(text, window, following) or _phone(text, window, _prefix(text, part, i), j == n)
            if found:
                spans.append(found)
                break
        else:
            return spans
        i = j
    return spans


def _continuation(part: _Part, i: int, j: int) -> str:
    """The group after groups i..j-1 when it would continue them: joined by the separator that joins them,
    and either last or followed by that separator too ('4111 1111 1111 1111 508', not '... 1111 12/27')."""
    if j - i < 2 or j == len(part.digits):
        return ""
    sep = part.gaps[i]
    if part.gaps[j - 1] != sep or (j + 1 < len(part.digits) and part.gaps[j] != sep):
        return ""
    return part.digits[j]


def _prefix(text: str, part: _Part, i: int) -> str:
    """The + and ( written before group i: '+', '(', '(+', '+(' or nothing."""
    before = part.gaps[i - 1] if i else text[max(0, part.starts[0] - 2) : part.starts[0]]
    prefix = ""
    for char in reversed(before):
        if char not in "+(" or char in prefix:
            break
        prefix = char + prefix
    return prefix


def _issuer_ok(digits: str) -> bool:
    """Whether the issuer prefix (IIN) makes cards of this length; 12 digits only from Maestro."""
    n, two, four = len(digits), int(digits[:2]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if two in (34, 37):
        return n == 15
    if 51 <= two <= 55 or 2221 <= four <= 2720 or 2200 <= four <= 2204:
        return n == 16
    if four in (1800, 2131):
        return n == 15
    if 30 <= two <= 39:  # Diners, JCB and their older ranges
        return 14 <= n <= 19
    return (two == 50 or 56 <= two <= 69 or four == 604) and 12 <= n <= 19


def _luhn(number: str) -> bool:
    """The card check digit: every second digit from the right doubled, the sum a multiple of 10."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(text: str, window: _Part, following: str) -> _Span | None:
    """A card number: written whole or in groups of four (Amex and Diners 4-6-5 and 4-6-4), one separator
    throughout, a known issuer prefix for its length, and a valid Luhn check digit. Groups of four are not
    cut short before a group that continues them (a 19-digit number failing Luhn is no card), and a 12- or
    13-digit number called an order or tracking number is not a card."""
    digits = "".join(window.digits)
    sizes = [len(d) for d in window.digits]
    grouped = all(s == 4 for s in sizes[:-1]) and sizes[-1] <= 4 or sizes in ([4, 6, 5], [4, 6, 4])
    if not 12 <= len(digits) <= 19 or len(set(window.gaps)) > 1 or not (len(sizes) == 1 or grouped):
        return None
    if any(len(g) != 1 for g in window.gaps) or not _issuer_ok(digits) or not _luhn(digits):
        return None
    if following and len(following) <= 4 and len(digits) + len(following) <= 19:
        return None
    start, end = window.starts[0], window.ends[-1]
    return None if len(digits) < 14 and _cue(text, start, end, _NOT_CARD_CUES) == -1 else (start, end, "card")


# Words near a number that say what it is; the nearest decides. "number" alone counts as a phone cue.
_PHONE_CUES = frozenset(
    "call calls called calling phone phoned phones telephone tel tél mobile mob cell cellphone ring rang "
    "text texted sms whatsapp fax contact reach dial dialled dialed hotline helpline landline voicemail "
    "callback telefon telefonnummer handy anrufen rufnummer téléphone portable appeler appelez joindre "
    "teléfono telefono móvil movil llamar llame cellulare chiamare chiamami mobiel telefoon bellen bel "
    "celular ligar ligue zadzwoń telefonu komórka tlf puhelin soita ring".split()
)
_NUMBER_WORDS = frozenset("number no nr num nummer numero número numéro".split())
_NOT_CARD_CUES = frozenset(
    "order orders booking ref reference confirmation reservation ticket invoice receipt tracking parcel "
    "shipment case claim policy serial version ver build isbn sku item article model pnr voucher coupon code "
    "contract room flight id bestellung bestellnummer auftrag rechnung buchung buchungsnummer commande "
    "facture réservation billet dossier pedido reserva factura localizador ordine fattura prenotazione "
    "biglietto bestelling factuur boeking reservering zamówienie faktura rezerwacja fatura bilhete "
    "beställning bestilling tilaus lasku".split()
)
_NOT_PHONE_CUES = _NOT_CARD_CUES | frozenset(
    "account iban bic swift membership member loyalty card gift transaction usd eur euro euros gbp chf jpy "
    "cny rmb inr rs brl pln zł sek dkk nok kr aud cad nzd huf czk rub mxn zar yen dollar dollars pound "
    "pounds".split()
)
_CURRENCY_SIGNS = ("$", "€", "£", "¥", "₹", "₽", "₩", "₺", "¢", "#", "№")


def _cue(text: str, start: int, end: int, against: frozenset[str] = _NOT_PHONE_CUES) -> int:
    """+1 when the words around a number call it a phone number, -1 when they call it something else
    (an order, a booking, a version, an amount), 0 when they say nothing. Looks at up to 5 words before
    (the nearest cue wins) and 4 after, within 48 characters each way."""
    before = text[max(0, start - 48) : start]
    after = text[end : end + 48]
    if before.rstrip().endswith(_CURRENCY_SIGNS) or after.lstrip().startswith(_CURRENCY_SIGNS):
        return -1
    following = _whole_words(after.casefold(), cut_end=end + 48 < len(text))[:4]
    if following and following[0] in against:
        return -1
    numbered = False
    for word in reversed(_whole_words(before.casefold(), cut_start=start > 48)[-5:]):
        if word in against:
            return -1
        if word in _PHONE_CUES:
            return 1
        numbered = numbered or word in _NUMBER_WORDS
    return 1 if numbered or any(w in _PHONE_CUES or w in _NUMBER_WORDS for w in following) else 0


def _whole_words(window: str, cut_start: bool = False, cut_end: bool = False) -> list[str]:
    """The words of a slice of text, without the ones the slice cut in two ('no' of 'now')."""
    words = _WORDS.findall(window)
    if words and cut_start and window[:1].isalpha():
        words = words[1:]
    if words and cut_end and window[-1:].isalpha():
        words = words[:-1]
    return words


def _phone(text: str, window: _Part, prefix: str, whole: bool) -> _Span | None:
    """A phone number: the shape decides (see `_phone_shape`); the words around it can veto it, except
    after a + country code, and can vouch for a plain 8 to 12 digits that take the rest of their run."""
    shape = _phone_shape(window, prefix, whole)
    digits = sum(len(d) for d in window.digits)
    if shape is None and not (whole and len(window.digits) <= 5 and 8 <= digits <= 12):
        return None
    start, end = window.starts[0], window.ends[-1]
    if shape != "international":
        if _not_phone(window):
            return None
        cue = _cue(text, start - len(prefix), end)
        if cue == -1 or (shape is None and cue != 1):
            return None
    if window.gaps and window.gaps[0].startswith(")"):
        start -= len(prefix)  # '(0306) 999 0074', '(+358) 907439150'
    elif "+" in prefix:
        start -= len(prefix.replace("(", ""))  # '(+44 20 7946 0958)' keeps its brackets
    extension = _EXTENSION.match(text, end)
    return start, extension.end() if extension else end, "phone"


def _phone_shape(window: _Part, prefix: str, whole: bool) -> str | None:
    """Which telephone layout the window has, if any. Strong layouts may be followed by more digits; a
    plain 10-digit number and the Brazilian 2-4-4 only count when nothing follows them."""
    digits, gaps = window.digits, window.gaps
    total = sum(len(d) for d in digits)
    if "+" in prefix or (digits[0].startswith("00") and len(digits[0]) <= 5):
        trunk = sum(
            d == "0" and g1.endswith("(") and g2.startswith(")") for d, g1, g2 in _inner(digits, gaps)
        )
        country = total - trunk - (0 if "+" in prefix else 2)
        return "international" if 9 <= country <= 15 else None
    sizes = [len(d) for d in digits]
    if "(" in prefix and gaps and gaps[0].startswith(")") and sizes[0] <= 5 and 8 <= total <= 13:
        return "area code"
    local = digits[1:] if len(digits) == 4 and digits[0] == "1" else digits
    if [len(d) for d in local] == [3, 3, 4] and local[0][0] in "23456789" and "/" not in "".join(gaps):
        return "north american"
    if digits[0].startswith("0") and 9 <= total <= 13:
        return None if sizes == [5, 4] and gaps[0] == "-" else "trunk"
    if not whole:
        return None
    if len(digits) == 1 and (
        (total == 10 and digits[0][0] != "1") or (total == 11 and digits[0][:2] >= "13")
    ):
        return "plain"
    if sizes in ([2, 4, 4], [2, 5, 4]) and gaps[1] == "-":
        return "grouped"
    return None


def _inner(digits: list[str], gaps: list[str]) -> list[tuple[str, str, str]]:
    """Each inner group with the separators on both sides."""
    return [(digits[i], gaps[i - 1], gaps[i]) for i in range(1, len(digits) - 1)]


def _not_phone(window: _Part) -> bool:
    """Look-alikes a telephone shape can take: years (2004 2005 2006), dates written 20240101, IPv4
    addresses, and dots mixed with other separators as no phone number mixes them (1.25 2.00)."""
    digits, gaps = window.digits, window.gaps
    if len(digits) > 1 and all(len(d) == 4 and "1900" <= d <= "2099" for d in digits):
        return True
    if len(digits) == 1 and len(digits[0]) == 8:
        d = digits[0]
        if ("1900" <= d[:4] <= "2099" and _day_month(d[6:], d[4:6])) or (
            "1900" <= d[4:] <= "2099" and (_day_month(d[:2], d[2:4]) or _day_month(d[2:4], d[:2]))
        ):
            return True
    if len(digits) == 4 and set(gaps) == {"."} and all(len(d) <= 3 and int(d) <= 255 for d in digits):
        return True
    marks = {"-" if c in _DASHES else c for gap in gaps for c in gap if c in _PUNCT}
    return "." in marks and (len(marks) > 1 or any(c in _SPACES for gap in gaps for c in gap))


# ----------------------------------------------------------------------------------------------- names

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _key(text: str) -> str:
    """How names are compared: NFC, then case-folded (so ß matches ss and case never matters)."""
    return unicodedata.normalize("NFC", text).casefold()


def _probe(word: str) -> str:
    """What the word regex finds first in a case-folded word: folding can split a word ('İ' gains a
    combining dot), so texts are screened for these, which a folded text contains wherever a name starts."""
    found = _WORD.search(word)
    return found.group(0) if found else word


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


# ----------------------------------------------------------------------------------------------- redactor


@dataclass(frozen=True)
class Redacted:
    """Text with PII replaced by [EMAIL], [IBAN], [CARD], [PHONE], [NAME], and how many of each."""

    text: str
    counts: dict[str, int]


def _splice(text: str, spans: list[_Span], counts: Counter[str]) -> str:
    """Replace each span (sorted, not overlapping) by its token, in one pass."""
    if not spans:
        return text
    pieces, last = [], 0
    for start, end, kind in spans:
        pieces += [text[last:start], f"[{kind.upper()}]"]
        counts[kind] += 1
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


class Redactor:
    """Redacts the patterns above plus every known full customer name (and, per text, the author's name parts)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = {_key(" ".join(n.split())) for n in names if n and len(n.split()) >= 2}
        self.longest = max((len(n.split()) for n in self.names), default=2)
        self.first_words = {n.split(" ")[0] for n in self.names}
        self.probes = {_probe(w) for w in self.first_words}

    def _name_spans(self, text: str, own: set[str], full: str) -> list[_Span]:
        """Known full names and the author's own name or name parts, on words separated by spaces only.
        A text that holds no first word of any of them (checked in C, on the set of its words) costs one
        pass; otherwise each word costs a set lookup and each possible first word a look at the next few."""
        starts = self.first_words | own | ({full.split(" ")[0]} if " " in full else set())
        present = set(_WORD.findall(text.casefold()))
        extra = {_probe(w) for w in starts - self.first_words}
        if self.probes.isdisjoint(present) and extra.isdisjoint(present):
            return []
        longest = max(self.longest, full.count(" ") + 1)
        spans: list[_Span] = []
        for word in _WORD.finditer(text):
            if spans and word.start() < spans[-1][1]:
                continue
            key = word.group(0).casefold()  # the text is NFC already, so this is _key(word)
            end = self._match(text, word, key, longest, own, full) if key in starts else None
            if end is not None:
                spans.append((word.start(), end, "name"))
        return spans

    def _match(
        self, text: str, first: re.Match[str], key: str, longest: int, own: set[str], full: str
    ) -> int | None:
        """Where the longest known name starting with word `first` ends, or None."""
        keys, ends = [key], [first.end()]
        for word in _WORD.finditer(text, first.end()):
            if len(keys) == longest or text[ends[-1] : word.start()].strip():
                break  # the words of a name are separated by spaces only
            keys.append(keys[-1] + " " + word.group(0).casefold())
            ends.append(word.end())
        for size in range(len(keys), 1, -1):
            if keys[size - 1] in self.names or keys[size - 1] == full:
                return ends[size - 1]
        return ends[0] if key in own else None

    def redact(self, text: str, author: str | None = None) -> Redacted:
        """Redact one text; `author` is the writer's own name, whose parts are redacted on their own too."""
        counts: Counter[str] = Counter()
        text = unicodedata.normalize("NFC", text)
        text = _splice(text, _email_spans(text), counts)
        ibans = _iban_spans(text)
        numbers = _number_spans(text, ibans)
        text = _splice(text, sorted(span for span in ibans + numbers if span[2]), counts)
        own = {_key(part) for part in (author or "").split() if len(part) >= 2}
        full = _key(" ".join((author or "").split()))
        if self.names or own:
            text = _splice(text, self._name_spans(text, own, full), counts)
        return Redacted(text, {k: counts[k] for k in KINDS if counts[k]})
