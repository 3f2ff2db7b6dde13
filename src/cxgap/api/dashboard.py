"""What the pages and the API show: result objects from the analytics modules, cached per filters and
stamped with the store version, so a page and its JSON are the same object and a repeated view costs a
dictionary lookup; after an ingest the last result is served (marked updating) while the next computes.
After each import the default views (no filter) are computed in the background and kept in the store."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from cxgap.api.group_commit import GroupCommit
from cxgap.api.limits import RateLimiter
from cxgap.api.precompute import Answers, Precompute, View
from cxgap.api.results import ResultCache
from cxgap.cases import Intake, intake
from cxgap.churn import RiskReport, limited_threads, slice_risk, store_risk
from cxgap.config import Settings
from cxgap.drivers import DriverReport, drivers
from cxgap.engine import ALL, Filters, engine_for
from cxgap.engine.filters import known_values
from cxgap.errors import CxgapError
from cxgap.gaps import GapReport, analyze
from cxgap.gaps.service import IMPORTANCE_REPLICATES
from cxgap.io.ingest import Delivery
from cxgap.journeys import JourneyReport, analyze_journeys, only_segment
from cxgap.metrics import Score, ScoreTable, score
from cxgap.store import Store
from cxgap.surveys.weighted import WeightedScores, weighted_scores
from cxgap.text.service import TextReport, analyze_text

T = TypeVar("T")
OPERATIONAL = ("implementation", "communication", "design")
# the dashboard's text analysis reads a deterministic sample of this many texts at most: a page must answer
# in seconds, and theme shares and NPS impacts are stable long before the whole of a large store is read
TEXT_SAMPLE = 3_000
# a page waits this long for a result that is not ready, then shows that it is computing (and polls)
PAGE_WAIT = 1.5
LEVELS = ("dimensions", "items", "touchpoints")
# the results and pages computed after each import and kept in the store: everything a page shows unfiltered
KEPT_RESULTS = frozenset(
    {"empty", "choices", "gaps", "score", "drivers", "act_first", "text", "journeys", "risk"}
)
DEFAULT_PAGES = frozenset(
    {"/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk"}
)


@dataclass(frozen=True)
class FilterChoices:
    """The values each filter can take in this store (for the pages' drop-downs)."""

    months: tuple[str, ...]
    segments: tuple[str, ...]
    channels: tuple[str, ...]
    touchpoints: tuple[str, ...]


@dataclass(frozen=True)
class Scores:
    """The headline scores of a slice: relational NPS, transactional CSAT and CES, and their monthly trend."""

    nps: Score | None
    csat: Score | None
    ces: Score | None
    trend: tuple[ScoreTable, ...]


@dataclass(frozen=True)
class TouchpointOperations:
    """One touchpoint: its standards and promises against actuals (operational gaps) next to what its
    customers say (transactional CSAT, CES and NPS)."""

    touchpoint: str
    gaps: tuple[Any, ...]
    csat: Score | None
    ces: Score | None
    nps: Score | None


def _first(table: ScoreTable, kind: str, **group: str) -> Score | None:
    """The score of one survey kind (and group) from a table, if the slice has any answers."""
    for s in table.scores:
        if s.group.get("survey_kind") == kind and all(s.group.get(k) == v for k, v in group.items()):
            return s
    return None


class Dashboard:
    """The configured store's results, computed by the analytics modules on first use per filters."""

    def __init__(
        self, settings: Settings, text_sample: int = TEXT_SAMPLE, precompute: bool | None = None
    ) -> None:
        """`precompute`: compute the default views in the background after each import (default: the
        `[server] precompute` setting where there is one, else yes)."""
        self.settings = settings
        self.store = Store(settings.store.url)
        self.engine = engine_for(self.store, settings)
        self.write_lock = threading.Lock()
        # stale rollups are rebuilt under the write lock on DuckDB (one writer per file), beside ingests
        self.cache = ResultCache(
            self.store,
            write_lock=self.write_lock if self.store.backend == "duckdb" else None,
            version=self._data_version,
            refresh_seconds=settings.server.refresh_seconds,
            keep=self.keeps,
        )
        self.text_sample = text_sample
        self.page_wait = PAGE_WAIT
        self.answers = Answers()
        # the default pages rendered since the server started: rendered again after each import
        self.pages: dict[tuple[Any, ...], Callable[[], str]] = {}
        self.precompute = Precompute(
            self._default_views,
            self.cache.version,
            self.cache.current,
            settings.server.refresh_seconds,
            finished=self.cache.kept.prune,
        )
        # off: every view is computed when first asked for (tests, or a server with few visitors)
        self.precomputes = precompute if precompute is not None else settings.server.precompute
        if self.precomputes:
            self.precompute.ensure()
        self.rate_limiter = RateLimiter(settings.cases.ingest_per_minute)
        # webhook calls from one source that arrive while its last batch is written go in together
        self.intake: GroupCommit[tuple[str, str], Delivery, Intake] = GroupCommit(
            self._intake, lambda group, delivery: delivery.joins(group), gather_seconds=0.005
        )

    def _data_version(self) -> tuple[int, str]:
        """What the views are computed from now: the store's imports and, on Spark, the lake's files (the
        engine looks at them again every `[engine] lake_check_seconds`)."""
        self.engine.follow_lake()
        return self.engine.version()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One writer at a time on the embedded store (DuckDB has one writer per file); PostgreSQL's own
        transactions and row locks keep concurrent writers apart."""
        with self.write_lock if self.store.backend == "duckdb" else contextlib.nullcontext():
            yield

    def _intake(self, key: tuple[str, str], deliveries: Sequence[Delivery]) -> list[Intake]:
        table, source = key
        with self.writing():
            return intake(self.store, self.settings, table, deliveries, source)

    @staticmethod
    def keeps(key: tuple[Any, ...]) -> bool:
        """Whether a cache key is a default view, kept in the store: an unfiltered result or page."""
        if key[0] == "page":
            return len(key) > 2 and key[1] in DEFAULT_PAGES and key[2] == ALL
        return key[0] in KEPT_RESULTS and len(key) > 1 and key[1] == ALL

    def _default_views(self) -> list[View]:
        """What the background computation brings up to date after an import, quick ones first, then
        the pages rendered since the server started (none on an empty store)."""
        if self.empty():
            return []
        views: list[View] = [
            ("filters", self.choices),
            ("scores", lambda: self.scores(ALL)),
            ("gaps", lambda: self.gaps(ALL)),
            ("operations", lambda: self.operations(ALL)),
        ]
        views += [(f"drivers by {level}", functools.partial(self.drivers, ALL, level)) for level in LEVELS]
        from cxgap.api.act_first import priorities  # it reads the dashboard: imported when used

        views += [
            ("where to act first", lambda: priorities(self, ALL)),
            ("journeys", lambda: self.journeys(ALL)),
            ("text", lambda: self.text(ALL)),
            ("risk", lambda: self.risk(ALL)),
        ]
        for key, render in list(self.pages.items()):
            name = f"page {key[1]}" + "".join(f" ({extra})" for extra in key[3:])
            views.append((name, functools.partial(self.cache.get, key, render)))
        return views

    def _get(self, name: str, filters: Filters, compute: Callable[[], T], *extra: Any) -> T:
        result: T = self.cache.get((name, filters, *extra), compute)
        return result

    def empty(self) -> bool:
        """True when the store holds no data at all."""
        return self._get("empty", Filters(), lambda: sum(self.store.counts().values()) == 0)

    def choices(self) -> FilterChoices:
        """Months, segments, channels and touchpoints present in the store."""

        def compute() -> FilterChoices:
            known = known_values(self.engine, self.settings.touchpoints)
            return FilterChoices(known["month"], known["segment"], known["channel"], known["touchpoint"])

        return self._get("choices", Filters(), compute)

    def gaps(self, filters: Filters) -> GapReport:
        """All six gaps of the slice, corrected together."""

        def compute() -> GapReport:
            # the derived side of stated-vs-derived importance is the drivers page's dimension analysis of
            # the slice without its touchpoint: computed once, shared, kept for the whole store
            derived = self.drivers(replace(filters, touchpoint=None), "dimensions")
            shared = derived if isinstance(derived, DriverReport) else None
            return analyze(self.engine, self.settings, filters=filters, derived=shared)

        return self._get("gaps", filters, compute)

    def score_table(
        self, metric: str, by: tuple[str, ...], filters: Filters, period: str = "month"
    ) -> ScoreTable:
        """A metric by a grouping in the slice (`period`: what grouping by period means)."""
        a = self.settings.analysis

        def compute() -> ScoreTable:
            return score(
                self.engine,
                metric,
                by,
                min_n=a.min_n,
                confidence=a.confidence,
                period=period,
                filters=filters,
            )

        return self._get("score", filters, compute, metric, by, period)

    def scores(self, filters: Filters) -> Scores:
        """Relational NPS, transactional CSAT and CES of the slice, and each by month."""
        tables = {m: self.score_table(m, (), filters) for m in ("nps", "csat", "ces")}
        trend = tuple(self.score_table(m, ("period",), filters) for m in ("nps", "csat", "ces"))
        return Scores(
            _first(tables["nps"], "relational"),
            _first(tables["csat"], "transactional"),
            _first(tables["ces"], "transactional"),
            trend,
        )

    def weighted(self, filters: Filters) -> WeightedScores:
        """The slice's headline scores unweighted beside raked to its customer base (effective n, design
        effect, the difference), computed once per store version and filters like every other result."""
        return self._get("weighted", filters, lambda: weighted_scores(self.engine, self.settings, filters))

    def operations(self, filters: Filters) -> list[TouchpointOperations]:
        """Per touchpoint: operational gaps next to the same touchpoint's customer scores."""
        report = self.gaps(filters)
        by_touchpoint = {m: self.score_table(m, ("touchpoint",), filters) for m in ("csat", "ces", "nps")}
        touchpoints = [filters.touchpoint] if filters.touchpoint else self.choices().touchpoints
        return [
            TouchpointOperations(
                touchpoint,
                tuple(
                    sorted(
                        (g for g in report.gaps if g.kind in OPERATIONAL and g.touchpoint == touchpoint),
                        key=lambda g: (OPERATIONAL.index(g.kind), g.subject),
                    )
                ),
                *(
                    _first(by_touchpoint[m], "transactional", touchpoint=touchpoint)
                    for m in ("csat", "ces", "nps")
                ),
            )
            for touchpoint in touchpoints
        ]

    def drivers(self, filters: Filters, level: str = "dimensions") -> DriverReport | str:
        """Key drivers of NPS in the slice (of the touchpoint's survey when one is chosen), or why there
        are none."""

        def compute() -> DriverReport | str:
            try:
                return drivers(
                    self.engine,
                    self.settings,
                    "nps",
                    level,
                    filters.touchpoint if level != "touchpoints" else None,
                    replicates=IMPORTANCE_REPLICATES,
                    filters=filters,
                )
            except CxgapError as error:
                return str(error)

        return self._get("drivers", filters, compute, level)

    def text(self, filters: Filters) -> TextReport:
        """Themes, sentiment and alerts of the slice's texts (a sample above `text_sample`). Sentiment and
        themes are fitted once per store version, on the whole store's sample (the default view), and a
        slice's texts are read by that fit: a text reads the same in every slice, and a slice costs no
        training."""

        def compute() -> TextReport:
            whole = self.text(ALL).model if filters.active else None  # current: read inside the computation
            return analyze_text(
                self.engine,
                self.settings,
                discover_topics=False,
                filters=filters,
                max_texts=self.text_sample,
                model=whole,
            )

        return self._get("text", filters, compute)

    def journeys(self, filters: Filters = ALL) -> JourneyReport:
        """Incidents across the journeys of the slice's customers and events. The unfiltered report keeps
        its sums per segment, so a segment-only slice is read out of it (a selection, no query); other
        slices are computed from the narrowed tables."""

        def compute() -> JourneyReport:
            whole = self.journeys(ALL) if only_segment(filters) else None  # current: read inside
            return analyze_journeys(self.engine, self.settings, filters=filters, whole=whole)

        return self._get("journeys", filters, compute)

    def risk(self, filters: Filters = ALL) -> RiskReport | str:
        """Churn risk and health of the current customers in the slice (its segment; with a period,
        channel or touchpoint, those with a response or interaction there), or why they cannot be measured
        yet. One model per store version: a slice selects and sums from the whole store's scored customers."""

        def whole() -> RiskReport | str:
            try:
                with limited_threads(1):  # views compute side by side: each keeps to one thread
                    return store_risk(self.engine, self.settings, trend_months=6)
            except CxgapError as error:
                return str(error)

        def part() -> RiskReport | str:
            report = self.risk(ALL)  # current: read inside the computation
            if isinstance(report, str):
                return report
            return slice_risk(self.engine, report, filters, self.settings.analysis.confidence)

        return self._get("risk", filters, part if filters.active else whole)

    def risk_known(self) -> RiskReport | str | None:
        """The whole store's risk answer (a report, or why risk cannot be measured) if it has been computed
        for the store as it is now, else None. Computes nothing, so a page can show at once what is known
        and leave only the unknown to fill in later."""
        found = self.cache.peek(("risk", ALL))
        return None if found is None or found.stale else found.value

    def close(self) -> None:
        """Stop the background computations (the default views after the one computing now, the cache's
        recomputations), release the engine's connections, then the store."""
        self.precompute.close()
        self.answers.close()
        self.cache.close()
        self.engine.close()
        self.store.close()
