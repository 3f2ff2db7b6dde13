"""What customers say: PII-free text (redacted on import), embeddings cached in the store, sentiment
without labels (VADER's lexicon, embedding anchors, or a head self-trained on the anchors' reading of the
user's own texts) or trained on the user's weak labels and judged on held-out texts."""

from __future__ import annotations

from cxgap.text.embedding import Embedded, embed
from cxgap.text.model import MODEL_NAME, encode
from cxgap.text.sentiment import (
    ANCHORS,
    LABELS,
    Evaluation,
    Sentiment,
    labels_from_nps,
    labels_from_stars,
    lexicon_labels,
    lexicon_scores,
    sentiment,
)

__all__ = [
    "ANCHORS",
    "LABELS",
    "MODEL_NAME",
    "Embedded",
    "Evaluation",
    "Sentiment",
    "embed",
    "encode",
    "labels_from_nps",
    "labels_from_stars",
    "lexicon_labels",
    "lexicon_scores",
    "sentiment",
]
