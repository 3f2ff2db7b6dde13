"""How well the redactor does: a seeded corpus of PII in sentences customers write, plus look-alikes that must
survive, scored per kind (TP, FN, FP, precision, recall) and as false positives per 1,000 look-alikes.

PII comes from Faker (a dev dependency, imported only when a corpus is built) in 20 locales, so phone numbers,
IBANs and names have the shapes those countries really use; look-alikes are dates, times, prices, order
numbers, years, postcodes, addresses, quantities, versions, card numbers failing Luhn and IBANs failing mod-97.
`benchmarks/redaction_quality.py` prints the tables in docs/redaction-quality.md; tests/io re-check the targets.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cxgap.io.redact import KINDS, Redactor

if TYPE_CHECKING:
    from faker import Faker

LOCALES = (
    "en_US", "en_GB", "en_CA", "en_AU", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "es_ES",
    "it_IT", "nl_NL", "pt_BR", "pt_PT", "pl_PL", "sv_SE", "da_DK", "fi_FI", "cs_CZ", "ja_JP",
)  # fmt: skip
TARGET_RECALL = {"email": 0.99, "iban": 0.99, "card": 0.99, "phone": 0.95}
TARGET_PER_1000 = 1.0  # false positives per 1,000 look-alikes of each kind

_TEMPLATES = {
    "email": (
        "Please send the invoice to {} instead of my old address.",
        "I emailed {} twice and nobody replied.",
        "My login is {} but the password reset never arrives.",
        "Contact me at {}, I'm away this week.",
        "You can write to me ({}) if anything changes.",
        "Sent from {}",
        "The confirmation went to {}. Please update it.",
        "<{}> wrote: the delivery was late again",
        "email: {}",
        "Reply to {} please, not to my work account.",
    ),
    "phone": (
        "Please call me back on {}, I'm free after 5pm.",
        "You can reach me at {} any time.",
        "My mobile number is {}.",
        "Nobody answered when I rang {} this morning.",
        "Tel: {}",
        "I left my number ({}) with the receptionist but never heard back.",
        "Text me on {} when the technician is on his way.",
        "{} is the best number to get hold of me.",
        "The driver called from {} and hung up.",
        "Regards, Anna / {}",
        "Still waiting for an answer - {}",
        "Out of office until Monday; for urgent matters {}",
    ),
    "card": (
        "I was charged twice on my card {}.",
        "The payment with {} was declined although the card is fine.",
        "Card number: {}, expiry 09/27",
        "Please refund to {} as agreed.",
        "Paid with {} at the front desk.",
        "Why is {} still stored in my account?",
        "They asked me to read out {} over the phone!",
    ),
    "iban": (
        "Please refund the deposit to IBAN {}.",
        "My bank details: {}",
        "The direct debit from {} was taken twice.",
        "Refund to {} please, it's my new account.",
        "I changed my account to {} last month but you still use the old one.",
        "IBAN {} (please confirm when paid)",
    ),
    "name": (
        "Thanks to {} at reception, she was brilliant.",
        "{} never called me back.",
        "I spoke with {} on the phone and she promised a refund.",
        "Ask {} about my case, he knows everything.",
        "Signed, {}",
        "{} from billing was very rude.",
        "My husband {} made the booking.",
    ),
}
_LOOK_ALIKE_TEMPLATES = {
    "date": ("We stayed on {} and loved it.", "Delivery was promised for {} but never came.", "Visit on {}"),
    "date range": (
        "We stayed {}, great location.",
        "Booked {} but the room was not ready.",
        "stayed {} loved",
    ),
    "time": (
        "The shop opens {}, not as advertised.",
        "Check-in is {} but the room wasn't ready.",
        "breakfast {}",
    ),
    "price": (
        "We paid {} for two nights.",
        "They charged me {} instead of the quoted price.",
        "got a deal {} night",
    ),
    "order number": (
        "My order ({}) arrived damaged.",
        "Still no news about {}.",
        "Please check {}, it's urgent.",
    ),
    "years": (
        "We have been customers since {}.",
        "Same problem every winter: {}.",
        "came back {} every time",
    ),
    "postcode": ("The engineer went to {} instead of our house.", "Delivery area: {}", "we live in {} now"),
    "address": ("The parcel was left at {} by mistake.", "Please update my address to {}.", "shipped to {}"),
    "quantity": ("We ordered {} and got half.", "The app says {} but that's wrong.", "room had {} only"),
    "version": ("After updating to {} the app crashes.", "I'm on {} and still see the bug.", "running {}"),
    "invalid card": ("My loyalty card {} doesn't work.", "Gift card {} was rejected.", "member id {}"),
    "invalid IBAN": ("The form says {} is invalid, typo?", "Is {} right? It bounced.", "old account {}"),
    "first name": ("{} called back, thanks.", "Ask for {} at the desk.", "thanks {}!"),
}
LOOK_ALIKE_KINDS = tuple(_LOOK_ALIKE_TEMPLATES)


@dataclass(frozen=True)
class Sample:
    """One sentence: `kind` is a PII kind (KINDS) or a look-alike kind; `expected` is the redacted truth."""

    text: str
    expected: str
    kind: str
    value: str
    locale: str


@dataclass(frozen=True)
class Corpus:
    """The samples and the customer names the redactor knows (every planted name and as many others)."""

    samples: list[Sample]
    customers: list[str]


def build_corpus(per_kind: int, seed: int = 0, locales: Sequence[str] = LOCALES) -> Corpus:
    """`per_kind` samples of each PII kind and of each look-alike kind, locales taken in turn."""
    from faker import Faker

    fakers = Faker(list(locales))
    for i, locale in enumerate(locales):
        fakers[locale].seed_instance(seed * 1_000 + i)
    rng = random.Random(seed)
    makers: dict[str, Callable[[Faker, random.Random], str]] = {**_PII_MAKERS, **_LOOK_ALIKE_MAKERS}
    samples: list[Sample] = []
    for kind, maker in makers.items():
        templates = _TEMPLATES.get(kind) or _LOOK_ALIKE_TEMPLATES[kind]
        for i in range(per_kind):
            locale = locales[i % len(locales)]
            value = maker(fakers[locale], rng)
            text = rng.choice(templates).format(value)
            expected = text.replace(value, f"[{kind.upper()}]") if kind in KINDS else text
            samples.append(Sample(text, expected, kind, value, locale))
    planted = [s.value for s in samples if s.kind == "name"]
    others = [_name(fakers[locales[i % len(locales)]], rng) for i in range(len(planted))]
    firsts = {s.value for s in samples if s.kind == "first name"}
    return Corpus(samples, planted + [n for n in others if n.split()[0] not in firsts])


# ---------------------------------------------------------------------------------------- PII makers


def _name(fake: Faker, rng: random.Random) -> str:
    return f"{fake.first_name()} {fake.last_name()}"


def _email(fake: Faker, rng: random.Random) -> str:
    """Faker's addresses, and 30% intranet (`@localhost`, `@mail`), upper-case or `+tag` ones."""
    shape = rng.random()
    if shape < 0.7:
        return str(rng.choice([fake.email, fake.free_email, fake.company_email])())
    user = fake.user_name()
    if shape < 0.8:
        return f"{user}@localhost"
    if shape < 0.9:
        return f"{user[0]}.{user[1:]}@{rng.choice(['mail', 'intranet', 'corp', 'exchange'])}"
    return str(fake.email()).upper() if shape < 0.95 else f"{user}+cx@{fake.domain_name()}"


def _grouped(compact: str, sizes: Sequence[int], sep: str) -> str:
    """`compact` cut into groups of `sizes` (extra sizes ignored), joined by `sep`."""
    out, pos = [], 0
    for size in sizes:
        out.append(compact[pos : pos + size])
        pos += size
    return sep.join(part for part in out if part)


def _card_layout(number: str, rng: random.Random) -> str:
    """Whole, or in groups of four (Amex 4-6-5) joined by a space, hyphen or dot."""
    sep = rng.choice(["", " ", "-", ".", " "])
    if not sep:
        return number
    sizes = [4, 6, 5] if len(number) == 15 and number[:2] in ("34", "37") else [4] * 5
    return _grouped(number, sizes, sep)


def _card(fake: Faker, rng: random.Random) -> str:
    return _card_layout(str(fake.credit_card_number()), rng)


def _iban_layout(iban: str, rng: random.Random) -> str:
    """Compact, lower-case, or in groups of four joined by spaces or hyphens."""
    shape = rng.random()
    if shape < 0.4:
        return iban
    if shape < 0.5:
        return iban.lower()
    return _grouped(iban, [4] * 9, " " if shape < 0.85 else "-")


def _iban(fake: Faker, rng: random.Random) -> str:
    return _iban_layout(str(fake.iban()), rng)


def _phone(fake: Faker, rng: random.Random) -> str:
    return str(fake.phone_number())


_PII_MAKERS: dict[str, Callable[[Faker, random.Random], str]] = {
    "email": _email,
    "phone": _phone,
    "card": _card,
    "iban": _iban,
    "name": _name,
}


# ---------------------------------------------------------------------------------------- look-alikes

_DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d.%m.%y", "%Y/%m/%d", "%d-%m-%Y", "%B %d, %Y",
    "%d %B %Y", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y%m%d", "%d/%m/%Y %H:%M",
    "%m/%d/%y", "%d/%m/%y", "%Y.%m.%d", "%d-%b-%Y", "%A %d.%m.%Y, %H:%M",
)  # fmt: skip


def _day(rng: random.Random) -> dt.datetime:
    """A moment between 1995 and 2027, on a quarter hour."""
    start = dt.datetime(1995, 1, 1)
    return start + dt.timedelta(days=rng.randrange(12_000), minutes=15 * rng.randrange(96))


def _date(fake: Faker, rng: random.Random) -> str:
    return _day(rng).strftime(rng.choice(_DATE_FORMATS))


def _date_range(fake: Faker, rng: random.Random) -> str:
    """Stays as people write them, several taken from the real reviews (`march 22-24 2005`)."""
    a = _day(rng)
    b = a + dt.timedelta(days=rng.randint(1, 9))
    m, y, yy, month = a.month, a.year, a.strftime("%y"), a.strftime("%B").lower()
    return rng.choice(
        [
            f"{month} {a.day}-{b.day} {y}",
            f"{a.day}-{b.day} {a:%B} {y}",
            f"{month} {a.day} {a.day + 1} {a.day + 2} {y}",
            f"{m}/{a.day}/{yy} {b.month}/{b.day}/{b:%y}",
            f"{a.day}/{m}/{yy} {b.day}/{b.month}/{b:%y}",
            f"{m}/{a.day} {b.month}/{b.day}/{b:%y}",
            f"{m}/{a.day}-{b.month}/{b.day}",
            f"{a:%d.%m.}-{b:%d.%m.%Y}",
            f"{a:%Y-%m-%d} - {b:%Y-%m-%d}",
            f"{a:%d.%m.%Y}-{b:%d.%m.%Y}",
            f"{a:%d/%m/%Y} to {b:%d/%m/%Y}",
            f"{a.day}-{b.day}.{m}.{y}",
        ]
    )


def _time(fake: Faker, rng: random.Random) -> str:
    h, m = rng.randint(6, 11), rng.choice(["00", "15", "30", "45"])
    k, n = rng.randint(12, 22), rng.choice(["00", "15", "30", "45"])
    return rng.choice(
        [
            f"{h}:{m}",
            f"{h:02d}:{m}-{k}:{n}",
            f"{h}.{m}am",
            f"{k}h{n}",
            f"{h:02d}:{m}:00",
            f"{h:02d}:{m} – {k}:{n}",
            f"{h}.{m}-{k}.{n}",
            f"{h}.{m} {h + 1}.{m}",
            f"{h:02d}{m}-{k}{n}",
            f"from {h} to {k} o'clock",
        ]
    )


def _price(fake: Faker, rng: random.Random) -> str:
    """Amounts in the layouts of many currencies, lists and ranges of them."""
    big = rng.randint(1_000, 99_999_999)
    small = rng.randint(10, 999)
    cents = rng.randint(0, 99)
    us = f"{big:,}"
    eu = us.replace(",", ".")
    spaced = us.replace(",", " ")
    return rng.choice(
        [
            f"${us}.{cents:02d}", f"EUR {spaced}", f"€ {eu},{cents:02d}", f"£{small}.{cents:02d}",
            f"{spaced},{cents:02d} zł", f"R$ {eu},{cents:02d}", f"¥{us}", f"USD {us}.00",
            f"CHF {us.replace(',', chr(39))}.{cents:02d}", f"{spaced} EUR", f"Rs. {us}", f"{eu} €",
            f"kr {spaced},{cents:02d}", f"{small} {small + 50}/ {small + 100} a", f"${small} ${small + 40} ${small + 90}",
            f"{spaced} €", f"{small}-{small + 100} dollars",
        ]
    )  # fmt: skip


def _digits(rng: random.Random, n: int) -> str:
    """A random number of `n` digits, not starting with 0."""
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _order_number(fake: Faker, rng: random.Random) -> str:
    """Order, booking, tracking, ticket, invoice and case numbers, with the word that names them."""
    d = _digits
    return rng.choice(
        [
            f"order #{d(rng, rng.randint(6, 12))}",
            f"order number {d(rng, 3)}-{d(rng, 7)}-{d(rng, 7)}",
            f"booking ref {fake.bothify('???###').upper()}",
            f"booking reference {d(rng, 10)}",
            f"ticket no. {rng.randint(2015, 2026)}-{d(rng, 6)}",
            f"invoice INV-{rng.randint(0, 999999):06d}",
            f"confirmation code {fake.bothify('#?#?#?').upper()}",
            f"tracking number 1Z{fake.bothify('###??##########').upper()}",
            f"tracking number {d(rng, 12)}",
            f"reservation {d(rng, 9)}",
            f"case {rng.randint(0, 99_999_999):08d}",
            f"order no. {d(rng, 10)}",
            f"booking number {d(rng, 11)}",
            f"claim no. {rng.randint(2015, 2026)}/{d(rng, 6)}",
            f"eBay order {d(rng, 2)}-{d(rng, 5)}-{d(rng, 5)}",
            f"PNR {fake.bothify('?#?#?#').upper()}",
        ]
    )


def _years(fake: Faker, rng: random.Random) -> str:
    y = rng.randint(1960, 2022)
    return rng.choice(
        [
            f"{y} {y + 1} {y + 2}",
            f"{y}, {y + 1} and {y + 2}",
            f"{y}-{y + 1}",
            f"{y} to {y + 3}",
            f"{y} {y + 1} {y + 2} {y + 3}",
            f"{y}/{y + 1}",
            f"{y}/{str(y + 1)[2:]}",
        ]
    )


def _postcode(fake: Faker, rng: random.Random) -> str:
    return f"{fake.postcode()} {fake.city()}" if rng.random() < 0.7 else str(fake.postcode())


def _address(fake: Faker, rng: random.Random) -> str:
    return str(fake.address()).replace("\n", ", ")


def _quantity(fake: Faker, rng: random.Random) -> str:
    """Counts, measures, percentages, ratings, room numbers and lists of decimals."""
    n = rng.randint(2, 999)
    big = rng.randint(1_000, 9_999_999)
    return rng.choice(
        [
            f"{n} x 250 ml", f"{big:,} guests", f"{big:,}".replace(",", " ") + " steps", f"{n}.{n % 10}%",
            f"{n % 9 + 1} nights", f"{big:,}".replace(",", " ") + " points", f"{n % 5}.5 stars",
            f"rooms {n} {n + 2} {n + 4}", f"floor {n % 40}", f"{n / 100:.2f} {n / 50:.2f}",
            f"{n}m2 and {n % 7 + 1} rooms", f"{big} bytes",
        ]
    )  # fmt: skip


def _version(fake: Faker, rng: random.Random) -> str:
    a, b, c = rng.randint(1, 20), rng.randint(0, 30), rng.randint(0, 9999)
    return rng.choice(
        [
            f"version {a}.{b}.{rng.randint(10000, 22631)}.{c}",
            f"iOS {a}.{b}.{c % 10}",
            f"app {a}.{b}.{c}",
            f"build {rng.randint(2015, 2026)}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}.{c}",
            f"firmware {a}.{b}.{c % 10}.{c}",
            f"Android {a} (build UP1A.{rng.randint(200000, 250000)}.{c % 1000:03d})",
            f"v{a}.{b}.{c}",
        ]
    )


def _invalid_card(fake: Faker, rng: random.Random) -> str:
    """A Faker card number with another last digit, so Luhn fails."""
    number = str(fake.credit_card_number())
    broken = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
    return _card_layout(broken, rng)


def _invalid_iban(fake: Faker, rng: random.Random) -> str:
    """A Faker IBAN with other check digits, so mod-97 fails."""
    iban = str(fake.iban())
    check = (int(iban[2:4]) + rng.randint(1, 96)) % 97
    return _iban_layout(f"{iban[:2]}{check:02d}{iban[4:]}", rng)


def _first_name(fake: Faker, rng: random.Random) -> str:
    return str(fake.first_name())


_LOOK_ALIKE_MAKERS: dict[str, Callable[[Faker, random.Random], str]] = {
    "date": _date,
    "date range": _date_range,
    "time": _time,
    "price": _price,
    "order number": _order_number,
    "years": _years,
    "postcode": _postcode,
    "address": _address,
    "quantity": _quantity,
    "version": _version,
    "invalid card": _invalid_card,
    "invalid IBAN": _invalid_iban,
    "first name": _first_name,
}


# ---------------------------------------------------------------------------------------- scoring

_TOKEN = re.compile(r"\[(EMAIL|IBAN|CARD|PHONE|NAME)\]")


@dataclass(frozen=True)
class KindScore:
    """One PII kind: found (TP), missed (FN), redacted where there was none of it (FP)."""

    kind: str
    tp: int
    fn: int
    fp: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass(frozen=True)
class LookAlikeScore:
    """One look-alike kind: how many samples, how many were wrongly redacted (at least one token)."""

    kind: str
    n: int
    redacted: int

    @property
    def per_1000(self) -> float:
        return 1_000 * self.redacted / self.n if self.n else 0.0


@dataclass(frozen=True)
class Evaluation:
    """Scores, per-locale phone recall, and every sample the redactor got wrong (with what it returned)."""

    kinds: list[KindScore]
    look_alikes: list[LookAlikeScore]
    phone_recall_by_locale: dict[str, float]
    wrong: list[tuple[Sample, str]]


def _tokens(text: str) -> Counter[str]:
    """How many tokens of each kind a text holds."""
    return Counter(m.group(1).lower() for m in _TOKEN.finditer(text))


def evaluate(corpus: Corpus) -> Evaluation:
    """Redact every sample with a redactor that knows the corpus's customers, and score the result."""
    redactor = Redactor(corpus.customers)
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    by_locale: dict[str, list[bool]] = defaultdict(list)
    wrong: list[tuple[Sample, str]] = []
    for sample in corpus.samples:
        got = redactor.redact(sample.text).text
        extra = _tokens(got) - _tokens(sample.expected)
        fp.update(extra)
        if sample.kind in KINDS:
            (tp if got == sample.expected else fn)[sample.kind] += 1
            if sample.kind == "phone":
                by_locale[sample.locale].append(got == sample.expected)
        elif extra:
            hit[sample.kind] += 1
        if got != sample.expected:
            wrong.append((sample, got))
    counts = Counter(s.kind for s in corpus.samples)
    return Evaluation(
        [KindScore(k, tp[k], fn[k], fp[k]) for k in KINDS],
        [LookAlikeScore(k, counts[k], hit[k]) for k in LOOK_ALIKE_KINDS],
        {loc: sum(found) / len(found) for loc, found in by_locale.items()},
        wrong,
    )


@dataclass(frozen=True)
class ReviewHits:
    """What the redactor found in real texts that hold no PII: counts per kind and each hit in context."""

    texts: int
    counts: dict[str, int]
    hits: list[str]

    @property
    def per_1000(self) -> float:
        return 1_000 * sum(self.counts.values()) / self.texts if self.texts else 0.0


def review_hits(texts: Iterable[str]) -> ReviewHits:
    """Redact texts with no known names (so only the patterns act), keeping each redaction in context."""
    redactor = Redactor()
    counts: Counter[str] = Counter()
    hits: list[str] = []
    n = 0
    for text in texts:
        n += 1
        result = redactor.redact(text)
        counts.update(result.counts)
        for m in _TOKEN.finditer(result.text):
            hits.append(result.text[max(0, m.start() - 40) : m.end() + 40])
    return ReviewHits(n, {k: counts[k] for k in KINDS if counts[k]}, hits)


# ---------------------------------------------------------------------------------------- report


def quality_lines(evaluation: Evaluation) -> list[str]:
    """The Markdown tables: per PII kind, per look-alike kind, and phone recall per locale."""
    lines = [
        "| kind | TP | FN | FP | precision | recall | target recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in evaluation.kinds:
        target = f"≥ {TARGET_RECALL[s.kind]:.2f}" if s.kind in TARGET_RECALL else "—"
        lines.append(
            f"| {s.kind} | {s.tp:,} | {s.fn:,} | {s.fp:,} | {s.precision:.4f} | {s.recall:.4f} | {target} |"
        )
    lines += ["", "| look-alike | samples | redacted | per 1,000 |", "|---|---:|---:|---:|"]
    for a in evaluation.look_alikes:
        lines.append(f"| {a.kind} | {a.n:,} | {a.redacted:,} | {a.per_1000:.1f} |")
    lines += ["", "| locale | phone recall |", "|---|---:|"]
    for locale, recall in evaluation.phone_recall_by_locale.items():
        lines.append(f"| {locale} | {recall:.3f} |")
    return lines


def review_lines(hits: ReviewHits) -> list[str]:
    """The real-review section: redactions per kind, per 1,000 reviews, and every hit in context."""
    counts = ", ".join(f"{n} {kind}" for kind, n in hits.counts.items()) or "none"
    lines = [f"{hits.texts:,} reviews: {counts} ({hits.per_1000:.1f} per 1,000 reviews)."]
    if hits.hits:
        lines += ["", *(f"- `…{hit}…`" for hit in hits.hits)]
    return lines
