"""Simulate what customers and leaders say: surveys, item ratings, comments, reviews, beliefs, outcomes.

Ratings follow the planted truth: incidents lower item perceptions, NPS follows the item weights plus
a negative synergy for several incidents, churn follows unresolved issues and detractors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxgap.demo import arrays as A
from cxgap.demo.journeys import Journeys
from cxgap.demo.text import CLOSERS, OPENERS, TOPIC_INDEX, TOPICS
from cxgap.demo.truth import PlantedTruth

DIMENSION_MEAN = {
    "reliability": 4.9,
    "responsiveness": 4.9,
    "assurance": 5.2,
    "empathy": 5.0,
    "tangibles": 5.2,
}
INCIDENT_TOPICS = (
    "installation_late",
    "support_unresolved",
    "repeat_contact",
    "wait_time",
    "billing_error",
    "app_login",
)
POSITIVE_TOPICS = ("friendly_staff", "fast_installation", "good_value")
INSTALL_ITEMS = ("as_promised", "right_first_time", "knowledgeable_staff")
SUPPORT_ITEMS = ("prompt_service", "willing_to_help", "individual_attention")


@dataclass
class Incidents:
    """Per-customer incident facts up to a cut-off day."""

    late: np.ndarray
    missed: np.ndarray
    unresolved: np.ndarray
    repeat: np.ndarray
    bill_error: np.ndarray
    login: np.ndarray

    @property
    def count(self) -> np.ndarray:
        """Incidents counted for synergy: late visit, missed call, unresolved (up to 2), repeat, bill error."""
        return np.asarray(
            self.late.astype(int)
            + self.missed
            + np.minimum(self.unresolved, 2)
            + self.repeat
            + self.bill_error
        )


def incidents(j: Journeys, who: np.ndarray, cut: np.ndarray) -> Incidents:
    """Incidents of customers `who` that happened before their `cut` day."""
    position = np.full(j.n, -1)
    position[who] = np.arange(len(who))
    limit = np.full(j.n, -np.inf)
    limit[who] = cut

    def count(cust: np.ndarray, day: np.ndarray, flag: np.ndarray | None = None) -> np.ndarray:
        keep = day < limit[cust]
        if flag is not None:
            keep &= flag
        return np.bincount(position[cust[keep]], minlength=len(who)) if len(who) else np.zeros(0, int)

    s = j.support
    return Incidents(
        late=j.late_visit[who] & (j.visit_day[who] < cut),
        missed=np.minimum(count(s.cust, s.day, ~j.support_handled), 1),
        unresolved=count(s.cust, s.day, ~j.support_resolved),
        repeat=np.minimum(count(s.cust, s.day, j.support_repeat), 1),
        bill_error=np.minimum(count(j.bill_error_day.cust, j.bill_error_day.day), 1),
        login=np.minimum(count(j.login_failure.cust, j.login_failure.day), 1),
    )


def dimension_latents(mood: np.ndarray, inc: Incidents, truth: PlantedTruth) -> dict[str, np.ndarray]:
    """Latent perception per dimension (1-7 scale) after the incidents' damage.

    Each incident beyond the first lowers every dimension by the synergy shift, so that NPS (a function
    of the items alone) loses `truth.synergy_nps_penalty` points per extra incident.
    """
    unres = np.minimum(inc.unresolved, 2)
    shift = truth.synergy_item_shift * np.maximum(inc.count - 1, 0)
    latents = {
        "reliability": DIMENSION_MEAN["reliability"]
        + 0.8 * mood
        - 1.0 * inc.late
        - 0.4 * unres
        - 0.6 * inc.bill_error,
        "responsiveness": DIMENSION_MEAN["responsiveness"]
        + 0.8 * mood
        - 0.6 * unres
        - 0.8 * inc.missed
        - 0.4 * inc.repeat,
        "assurance": DIMENSION_MEAN["assurance"] + 0.8 * mood - 0.4 * inc.late,
        "empathy": DIMENSION_MEAN["empathy"] + 0.8 * mood - 0.7 * inc.repeat,
        "tangibles": DIMENSION_MEAN["tangibles"] + 0.8 * mood - 0.5 * inc.login,
    }
    return {dimension: latent - shift for dimension, latent in latents.items()}


def rate(
    latent: np.ndarray, rng: np.random.Generator, sd: float = 0.7, lo: int = 1, hi: int = 7
) -> np.ndarray:
    """An observed integer rating around a latent value."""
    return np.clip(np.round(latent + rng.normal(0, sd, len(latent))), lo, hi)


def item_ratings(
    latents: dict[str, np.ndarray], items: tuple[str, ...], rng: np.random.Generator, truth: PlantedTruth
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Perception and expectation per item, both 1-7 integers, with mean P - E exactly the planted gap.

    D = P - E is drawn around the gap first; P is then kept where E = P - D stays on the scale, so no
    clipping of E can bias the gap.
    """
    perception, expectation = {}, {}
    for item in items:
        gap = truth.perception_minus_expectation[truth.items[item]]
        n = len(latents[truth.items[item]])
        d = np.clip(np.round(gap + rng.normal(0, 0.9, n)), -5, 5)
        p = np.clip(rate(latents[truth.items[item]], rng, sd=0.9), 1 + np.maximum(d, 0), 7 + np.minimum(d, 0))
        perception[item] = p
        expectation[item] = p - d
    return perception, expectation


def nps_latent(
    perception: dict[str, np.ndarray], inc: Incidents, rng: np.random.Generator, truth: PlantedTruth
) -> np.ndarray:
    """NPS (0-10, before rounding): the planted driver weights on the observed item ratings, plus noise."""
    drive = sum(w * (perception[item] - 4.0) for item, w in truth.item_weights.items())
    return np.asarray(
        truth.nps_base + truth.nps_slope * drive + rng.normal(0, truth.nps_noise, len(inc.late))
    )


def choose_topics(inc: Incidents, nps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A topic code per person: one of their incidents, else praise (promoters) or a generic complaint."""
    flags = np.column_stack(
        [inc.late, inc.unresolved > 0, inc.repeat, inc.missed, inc.bill_error, inc.login]
    ).astype(bool)
    score = np.where(flags, rng.uniform(size=flags.shape), -1.0)
    pick = np.array([TOPIC_INDEX[t] for t in INCIDENT_TOPICS])[score.argmax(axis=1)]
    none = ~flags.any(axis=1)
    praise = np.array([TOPIC_INDEX[t] for t in POSITIVE_TOPICS])[rng.integers(0, 3, len(nps))]
    moan = np.array([TOPIC_INDEX["wait_time"], TOPIC_INDEX["billing_error"]])[rng.integers(0, 2, len(nps))]
    return np.where(none, np.where(nps >= 7, praise, moan), pick)


def comments(topic: np.ndarray, present: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Comment texts for topic codes; null where `present` is False."""
    phrases = [p for t in TOPICS for p in t.phrases]
    offsets = np.cumsum([0] + [len(t.phrases) for t in TOPICS])[:-1]
    counts = np.array([len(t.phrases) for t in TOPICS])
    which = offsets[topic] + (rng.uniform(size=len(topic)) * counts[topic]).astype(int)
    text = A.join_texts(
        [
            A.labels(rng.integers(0, len(OPENERS), len(topic)), OPENERS),
            A.labels(which, phrases),
            A.labels(rng.integers(0, len(CLOSERS), len(topic)), CLOSERS),
        ]
    )
    return pc.if_else(pa.array(np.asarray(present, dtype=bool)), text, pa.scalar(None, pa.string()))


def observed_synergy(truth: PlantedTruth, n: int = 200_000, seed: int = 0) -> float:
    """The planted synergy as it shows on the observed 0-10 NPS scale, per incident beyond the first.

    The penalty is planted on the latent item ratings; rounding and the ends of the 1-7 and 0-10 scales
    absorb part of it. The same customers and incidents are rated twice with the same random draws, with
    and without the penalty; the slope of the difference on the incidents beyond the first is what an
    analysis of the observed answers can recover.
    """
    rng = np.random.default_rng(seed)
    inc = Incidents(
        late=rng.uniform(size=n) < 0.2,
        missed=(rng.uniform(size=n) < 0.08).astype(int),
        unresolved=np.minimum(rng.poisson(0.5, n), 3),
        repeat=(rng.uniform(size=n) < 0.15).astype(int),
        bill_error=(rng.uniform(size=n) < 0.15).astype(int),
        login=np.zeros(n, int),
    )
    mood = rng.normal(0, 1, n)

    def answers(penalty: float) -> np.ndarray:
        draws = np.random.default_rng(seed + 1)
        world = replace(truth, synergy_nps_penalty=penalty)
        perception, _ = item_ratings(
            dimension_latents(mood, inc, world), tuple(world.item_weights), draws, world
        )
        return np.clip(np.round(nps_latent(perception, inc, draws, world)), 0, 10)

    difference = answers(truth.synergy_nps_penalty) - answers(0.0)
    extra = np.maximum(inc.count - 1, 0).astype(float)
    design = np.c_[
        np.ones(n), inc.late, inc.missed, np.minimum(inc.unresolved, 2), inc.repeat, inc.bill_error, extra
    ]
    return float(np.linalg.lstsq(design, difference, rcond=None)[0][-1])
