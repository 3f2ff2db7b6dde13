"""Item ratings: which measure a column is (perception, expectation, importance), which item it rates, and
which columns rate the same item (an expectation/perception pair), from names and wording.

Pairs are found three ways: the same words once the measure's words are taken out ("Reliability
expectation" / "Reliability perception", "E1" / "P1"); the same row of two matrix questions that differ in
measure (Qualtrics' Q5_1 / Q6_1, "Expectations - ..." / "Perceptions - ..."); nothing else is guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from cxgap.io.proposal.formats import SURVEYMONKEY_SUBHEADS
from cxgap.io.proposal.profile import Profile, words

MEASURE_WORDS: dict[str, tuple[str, ...]] = {
    "expectation": ("expectation", "expectations", "expect", "expected", "exp", "ideal", "should"),
    "importance": ("importance", "important", "imp"),
    "perception": (
        "perception",
        "perceptions",
        "perceive",
        "perceived",
        "perc",
        "experience",
        "experienced",
        "actual",
        "performance",
    ),
}
LETTERS = {"e": "expectation", "p": "perception", "i": "importance"}
FILLER = frozenset(
    "q question rating rate score item the of how would you your please to with a an and is are on in for "
    "scale from this that it was were our we us be will they their its".split()
)
LETTER_CODE = re.compile(r"^([EPIepi])[\s_.-]?(\d+)$")
MATRIX_NAME = re.compile(r"^(Q\w*?)_(\d+)$")
SERVQUAL_WORDS: dict[str, tuple[str, ...]] = {
    "tangibles": (
        "equipment",
        "facilit",
        "appearance",
        "modern",
        "material",
        "physical",
        "tidy",
        "clean",
        "comfort",
    ),
    "reliability": ("promise", "dependab", "reliab", "accura", "punctual", "error", "on time", "first time"),
    "responsiveness": ("prompt", "quick", "willing", "respons", "waiting", "speed", "fast"),
    "assurance": ("trust", "safe", "secur", "courte", "polite", "knowledg", "competen", "confiden"),
    "empathy": (
        "individual",
        "personal",
        "attention",
        "caring",
        "understand",
        "needs",
        "convenient",
        "hours",
    ),
}


@dataclass(frozen=True)
class ItemRole:
    """A column's item code, measure and why."""

    item: str
    measure: str
    evidence: str


def _measure(text_words: list[str]) -> tuple[str, str] | None:
    for measure, wanted in MEASURE_WORDS.items():
        for word in wanted:
            if word in text_words:
                return measure, word
    return None


def code(text: str, limit: int = 40) -> str:
    """An item code from words: lower case, measure and filler words out, '_' between, at most `limit`."""
    text = re.sub(r"^\s*\d+\.\s+", "", text)  # Formbricks numbers its questions: "2. Prompt service"
    kept = [w for w in words(text) if w not in FILLER and not any(w in ws for ws in MEASURE_WORDS.values())]
    out = ""
    for word in kept:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out}_{word}" if out else word
    return out


def _split(p: Profile) -> tuple[str, str, int | None]:
    """The column's matrix question (or ''), its statement, and its row number when the name says."""
    if letter := LETTER_CODE.match(p.name):
        return letter.group(1).lower(), f"item{letter.group(2)}", int(letter.group(2))
    if p.column.group:  # SurveyMonkey says both; a "Response" beside a comment box is the question itself
        single = p.column.label in SURVEYMONKEY_SUBHEADS
        return ("", p.column.group, None) if single else (p.column.group, p.column.label, None)
    text = p.column.text if p.column.text != p.name else ""
    question, _, statement = text.rpartition(" - ") if " - " in text else ("", "", text or p.name)
    if matrix := MATRIX_NAME.match(p.name):
        return question or matrix.group(1), statement, int(matrix.group(2))
    if not question and " - " in p.name:
        question, _, statement = p.name.rpartition(" - ")
    return question, statement, None


def item_roles(profiles: list[Profile]) -> dict[str, ItemRole]:
    """Item code, measure and evidence for each item column."""
    groups: dict[str, list[tuple[Profile, str, int | None]]] = defaultdict(list)
    measures: dict[str, tuple[str, str]] = {}
    for p in profiles:
        question, statement, row = _split(p)
        groups[question].append((p, statement, row))
        if question in LETTERS:
            found: tuple[str, str] | None = (
                LETTERS[question],
                f"'{p.name}': {question.upper()} for {LETTERS[question]}",
            )
        else:
            found = _measure(words(question)) or _measure(words(p.name, p.column.text))
            found = (found[0], f"'{found[1]}' in its wording") if found else None
        measures[p.name] = found or ("perception", "no expectation or importance word: a perception")
    roles = {
        p.name: ItemRole(code(statement) or code(p.name) or "item", *measures[p.name])
        for ps in groups.values()
        for p, statement, _ in ps
    }
    _pair_matrices(groups, measures, roles)
    return _unique(roles)


def _pair_matrices(
    groups: dict[str, list[tuple[Profile, str, int | None]]],
    measures: dict[str, tuple[str, str]],
    roles: dict[str, ItemRole],
) -> None:
    """Matrix questions of one measure each, with the same rows, rate the same items row by row (where
    each measure has one such matrix): their columns take the perception matrix's item codes."""
    single: dict[str, str] = {}
    for question, members in groups.items():
        found = {measures[p.name][0] for p, _, _ in members}
        if question and question not in LETTERS and len(found) == 1:
            single[question] = found.pop()
    by_rows: dict[tuple[object, ...], list[str]] = defaultdict(list)
    for question in single:
        by_rows[_rows(groups[question])].append(question)
    for questions in by_rows.values():
        kinds = [single[q] for q in questions]
        if len(questions) < 2 or len(set(kinds)) != len(kinds):
            continue
        lead = next((q for q in questions if single[q] == "perception"), questions[0])
        for question in questions:
            if question == lead:
                continue
            for p, lead_p in _aligned(groups[question], groups[lead]):
                why = f"{roles[p.name].evidence}; rates the same item as '{lead_p.name}' (the same row of the matrix)"
                roles[p.name] = ItemRole(roles[lead_p.name].item, roles[p.name].measure, why)


def _aligned(
    members: list[tuple[Profile, str, int | None]], lead: list[tuple[Profile, str, int | None]]
) -> list[tuple[Profile, Profile]]:
    """The rows of two matrices of the same size, paired: by their statements where both have the same ones
    (SurveyMonkey's row labels, in any order), else row by row in order."""
    by_statement = {statement: p for p, statement, _ in lead}
    if len(by_statement) == len(lead) and {statement for _, statement, _ in members} == set(by_statement):
        return [(p, by_statement[statement]) for p, statement, _ in members]
    return [(p, lead_p) for (p, _, _), (lead_p, _, _) in zip(members, lead, strict=True)]


def _rows(members: list[tuple[Profile, str, int | None]]) -> tuple[object, ...]:
    """A matrix's rows: their numbers where the names give them, else just how many there are."""
    numbers = [row for _, _, row in members]
    return tuple(numbers) if all(n is not None for n in numbers) else (len(members),)


def _unique(roles: dict[str, ItemRole]) -> dict[str, ItemRole]:
    """Two columns with the same item and measure would collide: later ones get _2, _3..."""
    seen: dict[tuple[str, str], int] = {}
    out = {}
    for name, role in roles.items():
        key = (role.item, role.measure)
        seen[key] = seen.get(key, 0) + 1
        item = role.item if seen[key] == 1 else f"{role.item[:60]}_{seen[key]}"
        out[name] = ItemRole(item, role.measure, role.evidence)
    return out


def dimension_of(item: str, text: str = "") -> tuple[str, str] | None:
    """The SERVQUAL dimension an item's words point to, and the word, when exactly one dimension fits
    (words are matched by their start: 'courte' finds courteous and courtesy)."""
    found = " " + " ".join(words(item, text))
    hits = {
        dim: hit
        for dim, stems in SERVQUAL_WORDS.items()
        if (hit := next((s for s in stems if f" {s}" in found), None))
    }
    if len(hits) != 1:
        return None
    dim, stem = hits.popitem()
    word = next(w for w in found.split() + [stem] if w.startswith(stem.split()[0]))
    return dim, word
