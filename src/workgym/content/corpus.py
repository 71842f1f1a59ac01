"""Corpus: a world of linked facts and the documents that state them, for the search app.

A research world is generated per task: invented countries, cities, universities,
companies, people, products and papers, with relations between them (a product's maker,
a company's founder and headquarters, a person's birthplace and university, a paper's
first author...). Names are invented per world, so no fact can be memorized across tasks.
Some facts change over time (a company moves its headquarters or names a new chief
executive, a university a new president, a researcher moves): documents dated before a
change state the old value, so the corpus holds outdated and conflicting statements that
the documents' dates resolve.

Every entity gets an encyclopedia article (some a second one, revised on another date, in
a second encyclopedia); companies, universities, researchers and cities get news items;
researchers write papers. Each document records the facts it states
(:class:`Statement`), so :func:`pick_question` can pose a multi-hop question and name,
for each hop, the documents that state its current value and those that state an
outdated one.

No side channels: the question is picked after the corpus is written, from all of it; every
entity of a kind is written by the same templates from its own random stream, document
ids are hashes (uniform in id order, not by generation order), and dates are drawn from
the same ranges whether or not a document supports a question.

Distractors (``extra``) are more entities of every kind, each from a stream of its own:
they add documents but never change the core's facts, documents or ids, and no extra
document states a fact about a core entity, so a question picked from the core has the
same answer and the same supporting documents at any ``extra``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, Field

from workgym.apps.search import Corpus, Document, SearchStore, Section
from workgym.content.people import FIRST_NAMES, LAST_NAMES
from workgym.core import derive_seed

__all__ = ["ENCYCLOPEDIAS", "RELATIONS", "CorpusSize", "Entity", "Fact", "Hop", "Paper",
           "Question", "Relation", "ResearchCorpus", "Statement", "generate_corpus",
           "pick_question"]

ENCYCLOPEDIAS = ("Open Encyclopedia", "World Almanac")
"""The main encyclopedia (an article on every entity) and the second one (on some)."""

_ONSETS = ("b", "br", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t",
           "v", "z", "st", "tr", "th")
_VOWELS = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "y")
_CODAS = ("", "", "", "l", "n", "r", "s", "m", "rn", "x")
_CITY_ENDS = ("ford", "burg", "mouth", "vik", "stad", "ton", "haven", "mere", "dale",
              "wick", "port", "holm", "a", "ia", "ora", "ene")
_COUNTRY_ENDS = ("ia", "land", "ara", "ova", "esia", "onia", "ary", "ania")
_SECTORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "software": (("Labs", "Systems", "Software", "Digital"),
                 ("analytics platform", "database engine", "mobile app", "security suite")),
    "biotechnology": (("Biotech", "Therapeutics", "Biosciences", "Genomics"),
                      ("diagnostic test", "enzyme therapy", "gene assay", "vaccine candidate")),
    "energy": (("Energy", "Power", "Renewables", "Grid"),
               ("battery pack", "solar inverter", "heat pump", "wind turbine")),
    "logistics": (("Logistics", "Freight", "Shipping", "Haulage"),
                  ("delivery robot", "routing service", "cargo drone", "warehouse scanner")),
    "materials": (("Materials", "Alloys", "Composites", "Polymers"),
                  ("carbon fibre panel", "ceramic coating", "recycled polymer",
                   "aluminium alloy")),
    "food": (("Foods", "Kitchens", "Provisions", "Dairy"),
             ("oat drink", "plant-based cheese", "protein bar", "frozen meal")),
}
_MODELS = ("One", "Pro", "Air", "Max", "Lite", "X2", "7", "S", "Neo", "Prime", "Go", "Edge")
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "machine learning": (("graph neural networks", "gradient boosting", "transformer models",
                          "Bayesian optimisation"),
                         ("traffic forecasting", "fraud detection", "crop yield prediction",
                          "speech recognition")),
    "materials science": (("density functional theory", "X-ray diffraction",
                           "molecular dynamics", "high-throughput screening"),
                          ("perovskite solar cells", "solid-state electrolytes",
                           "corrosion-resistant coatings", "biodegradable plastics")),
    "biology": (("single-cell sequencing", "CRISPR screening", "mass spectrometry",
                 "cryo-electron microscopy"),
                ("antibiotic resistance", "protein folding", "gut microbiota",
                 "plant immunity")),
    "economics": (("difference-in-differences", "structural estimation",
                   "randomised field experiments", "agent-based simulation"),
                  ("housing markets", "minimum wage effects", "trade networks",
                   "household savings")),
    "urban studies": (("spatial regression", "mobility traces", "participatory mapping",
                       "remote sensing"),
                      ("urban heat islands", "bicycle commuting", "noise pollution",
                       "public transit demand")),
}
_VENUE_FORMS = ("Journal of {f}", "{f} Letters", "Annals of {f}", "Transactions on {f}",
                "Review of {f}")
_OUTLET_FORMS = ("The {s} Courier", "{s} Business Daily", "The {s} Ledger", "{s} Wire",
                 "The Morning {s}", "{s} Evening Post", "The {s} Herald")
_OCCUPATIONS = {"founder": ("entrepreneur", "engineer", "chemist", "designer", "economist"),
                "executive": ("business executive", "manager", "engineer", "financier"),
                "president": ("physicist", "historian", "chemist", "legal scholar",
                              "mathematician")}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

_FILLER = {
    "company": (
        "{n} employs staff across several offices and a small research team.",
        "Analysts describe {n} as a mid-sized player in its market.",
        "The company publishes an annual sustainability report.",
        "{n} has taken part in several regional trade fairs.",
        "Its customers include public agencies and private firms.",
        "The firm funds a scholarship for engineering students.",
        "{n} runs an apprenticeship programme for school leavers.",
        "Most of its revenue comes from long-term service contracts.",
        "{n} has been recognised for its training of young engineers.",
        "The company's shares are held mainly by its staff and two investment funds.",
        "{n} lists quality and reliability as its core values.",
        "A works council represents the company's employees.",
    ),
    "person": (
        "{n} has given talks at industry conferences and universities.",
        "{n} serves on the board of a local charity.",
        "In interviews, {n} has spoken about the value of mentoring.",
        "{n} is known for a direct management style.",
        "{n} has written opinion pieces for regional newspapers.",
        "Outside work, {n} is a keen long-distance runner.",
        "{n} speaks three languages.",
        "{n} has received several awards for professional achievement.",
        "{n} mentors students through a university alumni programme.",
        "Colleagues describe {n} as careful and well prepared.",
        "{n} has published a memoir about the early years of their career.",
    ),
    "city": (
        "{n} has a historic old town and a busy river port.",
        "The city hosts an annual music festival in summer.",
        "A tram network connects the centre with the suburbs.",
        "{n} is known for its covered markets and parks.",
        "The local economy rests on trade, services and light industry.",
        "Several museums in {n} document its industrial past.",
        "The old harbour district has been turned into housing and offices.",
        "{n} is twinned with towns in three other countries.",
        "Its football club plays in the national league.",
        "A ring road keeps most traffic out of the centre.",
    ),
    "country": (
        "{n} has a temperate climate with mild winters.",
        "Its economy is based on services, manufacturing and agriculture.",
        "{n} is a parliamentary democracy.",
        "The country is known for its railways and coastal towns.",
        "{n} hosts several international sporting events each year.",
        "Most of the population lives in the lowlands near the coast.",
        "{n} has two official languages.",
        "Tourism has grown quickly over the past decade.",
    ),
    "university": (
        "{n} enrols students from many countries.",
        "The university runs faculties of science, engineering and humanities.",
        "Its library holds a large collection of early printed books.",
        "{n} operates a science park with start-up incubators.",
        "The campus is known for its botanical garden.",
        "{n} offers evening courses for working adults.",
        "The university's rowing team competes internationally.",
        "{n} is a member of several European research networks.",
        "Its medical faculty runs a teaching hospital.",
    ),
    "product": (
        "Reviewers praised its ease of use.",
        "It is sold through distributors in several countries.",
        "Later versions added remote monitoring.",
        "The product received a regional design award.",
        "Its price was lowered after the first year on the market.",
        "Support is provided through a network of service partners.",
        "An updated model followed two years later.",
        "Early units suffered from supply shortages.",
        "It competes with several established products.",
    ),
    "news": (
        "Industry observers said the move had been expected for some time.",
        "Shares of listed competitors were little changed.",
        "The announcement was made at a press conference on the same day.",
        "Further details are expected in the coming weeks.",
        "Local officials welcomed the news.",
        "Employees were informed in an internal memo.",
        "Trade unions said they would study the plans closely.",
        "A spokesperson declined to comment on the financial terms.",
        "The decision follows a review that began last year.",
        "Customers are not expected to notice any change in service.",
    ),
    "paper": (
        "Code and data are available from the authors on request.",
        "Limitations include the size of the sample and the period covered.",
        "The authors thank the anonymous reviewers for their comments.",
        "Future work will extend the approach to other settings.",
        "Robustness checks confirm the main findings.",
        "The study was funded by a national research council.",
        "Results are compared with three baselines from earlier work.",
        "The sample covers several regions and a decade of observations.",
    ),
}


# -- the facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """A thing the corpus is about."""

    id: str
    """Internal and stable, e.g. ``company:3`` (``company:x3`` for an extra); never shown
    in documents."""
    kind: str
    """One of country, city, university, company, person, product, paper."""
    name: str
    """Unique across the corpus; a paper's name is its title."""
    core: bool
    """False for the extras (distractors), which questions never use."""
    detail: str = ""
    """What it is, as documents describe it: a product's category, a company's sector, a
    person's occupation, a paper's field."""


@dataclass(frozen=True)
class Fact:
    """A relation's value for an entity over a span of time."""

    subject: str
    """An entity id."""
    relation: str
    """A key of ``RELATIONS`` (or ``author``, ``method``, ``field`` for papers)."""
    value: str
    """An entity id, or a literal (a year, a number, a name)."""
    since: date | None = None
    """When it became true; None: true for the whole span the corpus covers."""
    until: date | None = None
    """When another value replaced it; None: still true."""

    def holds_on(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day < self.until)


@dataclass(frozen=True)
class Statement:
    """A document says that, as of its date, ``subject``'s ``relation`` is ``value``."""

    document: str
    subject: str
    relation: str
    value: str
    as_of: date


@dataclass(frozen=True)
class Relation:
    """A functional relation questions can follow, with how questions phrase it."""

    subject: str
    """The subject's entity kind."""
    target: str
    """The value's entity kind, or ``year``, ``number``, ``text`` for a literal."""
    phrase: str
    """A noun phrase for the value, ``{x}`` standing for the subject."""
    ask: str
    """A question asking for the value."""
    changes: bool = False
    """The value can change over time (documents may be outdated)."""


RELATIONS: dict[str, Relation] = {
    "maker": Relation("product", "company", "the company that makes {x}",
                      "Which company makes {x}?"),
    "launched": Relation("product", "year", "", "In which year was {x} launched?"),
    "founder": Relation("company", "person", "the founder of {x}", "Who founded {x}?"),
    "founded": Relation("company", "year", "", "In which year was {x} founded?"),
    "headquarters": Relation("company", "city", "the city where {x} has its headquarters today",
                             "In which city does {x} have its headquarters today?", True),
    "ceo": Relation("company", "person", "the current chief executive of {x}",
                    "Who is the current chief executive of {x}?", True),
    "located_in": Relation("university", "city", "the city where {x} is located",
                           "In which city is {x} located?"),
    "established": Relation("university", "year", "", "In which year was {x} founded?"),
    "president": Relation("university", "person", "the current president of {x}",
                          "Who is the current president of {x}?", True),
    "birthplace": Relation("person", "city", "the city where {x} was born",
                           "In which city was {x} born?"),
    "born": Relation("person", "year", "", "In which year was {x} born?"),
    "alma_mater": Relation("person", "university", "the university where {x} studied",
                           "At which university did {x} study?"),
    "affiliation": Relation("person", "university", "the university where {x} works today",
                            "At which university does {x} work today?", True),
    "country": Relation("city", "country", "the country where {x} lies",
                        "In which country is {x}?"),
    "population": Relation("city", "number", "", "What is the population of {x}?"),
    "capital": Relation("country", "city", "the capital of {x}", "What is the capital of {x}?"),
    "first_author": Relation("paper", "person", "the first author of {x}",
                             "Who is the first author of {x}?"),
    "venue": Relation("paper", "text", "", "In which journal was {x} published?"),
    "published": Relation("paper", "year", "", "In which year was {x} published?"),
}
"""The relations questions can follow. Each gives one value per subject at a time."""

_DEFAULT_LAST = tuple(r for r in RELATIONS if r not in ("country", "venue"))
"""Relations a question may end on by default: not those with only a handful of values
(there are a few countries and journals; an answer guessed among them would pay)."""


class CorpusSize(BaseModel, frozen=True):
    """How many entities of each kind the core of a corpus has (the defaults give about
    500 documents)."""

    countries: Annotated[int, Field(ge=1, le=12)] = 4
    cities: Annotated[int, Field(ge=2, le=200)] = 16
    """At least one per country."""
    universities: Annotated[int, Field(ge=1, le=100)] = 10
    companies: Annotated[int, Field(ge=1, le=300)] = 36
    """Each with a founder and one or two chief executives (people of their own)."""
    researchers: Annotated[int, Field(ge=1, le=300)] = 40
    products: Annotated[int, Field(ge=0, le=400)] = 50
    papers: Annotated[int, Field(ge=0, le=400)] = 60


@dataclass(frozen=True)
class Hop:
    """One step of a question: ``subject``'s ``relation`` is ``value``."""

    subject: str
    """The subject's name."""
    relation: str
    value: str
    """The value as an answer gives it: an entity's name or a literal."""
    subject_id: str
    value_id: str | None
    """The value's entity id; None for a literal."""
    documents: tuple[str, ...]
    """Ids of the documents that state the current value, sorted."""
    outdated: tuple[str, ...] = ()
    """Ids of the documents that state an older value (and not the current one), sorted."""


@dataclass(frozen=True)
class Question:
    """A question whose answer takes ``len(hops)`` facts, each from documents."""

    text: str
    answer: str
    hops: tuple[Hop, ...]

    @property
    def documents(self) -> tuple[str, ...]:
        """Every document that supports some hop, sorted."""
        return tuple(sorted({d for hop in self.hops for d in hop.documents}))


@dataclass(frozen=True)
class Paper:
    """A paper's record (for families that tabulate papers)."""

    document: str
    title: str
    authors: tuple[str, ...]
    """Names, first author first."""
    venue: str
    year: int
    field: str
    method: str
    core: bool


@dataclass(frozen=True)
class ResearchCorpus:
    """A generated research world: entities, facts, documents and what each states."""

    today: date
    entities: tuple[Entity, ...]
    facts: tuple[Fact, ...]
    documents: tuple[Document, ...]
    """Sorted by id."""
    statements: tuple[Statement, ...]
    papers: tuple[Paper, ...]
    _by_id: dict[str, Entity] = field(default_factory=dict, repr=False, compare=False)
    _by_name: dict[str, Entity] = field(default_factory=dict, repr=False, compare=False)
    _facts: dict[tuple[str, str], list[Fact]] = field(default_factory=dict, repr=False,
                                                      compare=False)
    _said: dict[tuple[str, str], list[Statement]] = field(default_factory=dict, repr=False,
                                                          compare=False)
    _index: list[Corpus] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        for e in self.entities:
            self._by_id[e.id] = e
            self._by_name[e.name] = e
        for f in self.facts:
            self._facts.setdefault((f.subject, f.relation), []).append(f)
        for s in self.statements:
            self._said.setdefault((s.subject, s.relation), []).append(s)

    def store(self) -> SearchStore:
        """The search app's store over these documents (every store of this corpus shares
        one immutable corpus and its index)."""
        if not self._index:
            self._index.append(Corpus(self.documents))
        return SearchStore(corpus=self._index[0])

    def entity(self, key: str) -> Entity:
        """An entity by id or by name.

        Raises:
            ValueError: no entity has that id or name.
        """
        found = self._by_id.get(key) or self._by_name.get(key)
        if found is None:
            raise ValueError(f"the corpus has no entity {key!r}")
        return found

    def of_kind(self, kind: str, *, core_only: bool = False) -> list[Entity]:
        """The entities of a kind, in id order."""
        return [e for e in self.entities if e.kind == kind and (e.core or not core_only)]

    def history(self, subject: str, relation: str) -> list[Fact]:
        """The values a subject's relation has had, oldest first."""
        return sorted(self._facts.get((self.entity(subject).id, relation), []),
                      key=lambda f: f.since or date.min)

    def current(self, subject: str, relation: str) -> Fact | None:
        """The value a subject's relation has today, or None if it has none."""
        now = [f for f in self.history(subject, relation) if f.holds_on(self.today)]
        return now[-1] if now else None

    def display(self, value: str) -> str:
        """A value as an answer gives it: an entity's name, or the literal itself."""
        found = self._by_id.get(value)
        return found.name if found is not None else value

    def stating(self, subject: str, relation: str) -> list[Statement]:
        """What the documents say about a subject's relation, by document date then id."""
        said = self._said.get((self.entity(subject).id, relation), [])
        return sorted(said, key=lambda s: (s.as_of, s.document))

    def hop(self, subject: str, relation: str) -> Hop:
        """The hop to a subject's current value of a relation, with its documents.

        Raises:
            ValueError: the subject has no current value for the relation.
        """
        entity = self.entity(subject)
        fact = self.current(entity.id, relation)
        if fact is None:
            raise ValueError(f"{entity.name!r} has no current {relation!r}")
        said = self.stating(entity.id, relation)
        current = {s.document for s in said if s.value == fact.value}
        older = {s.document for s in said if s.value != fact.value} - current
        target = self._by_id.get(fact.value)
        return Hop(subject=entity.name, relation=relation, value=self.display(fact.value),
                   subject_id=entity.id, value_id=target.id if target else None,
                   documents=tuple(sorted(current)), outdated=tuple(sorted(older)))


def generate_corpus(rng: random.Random, today: date, size: CorpusSize | None = None,
                    extra: float = 0.0) -> ResearchCorpus:
    """A research world as of ``today``: entities, facts and the documents stating them.

    Args:
        rng: the stream the world's seed is drawn from (one draw).
        today: the world's date; every document is dated before it.
        size: how many entities of each kind the core has.
        extra: distractors, as a fraction of the core's size (0 to 2): more entities of
            every kind but countries, which leave the core's facts and documents as they
            are.

    Raises:
        ValueError: ``extra`` out of range, fewer cities than countries, or more people
            than the name pools allow.
    """
    if not 0.0 <= extra <= 2.0:
        raise ValueError(f"extra must be between 0 and 2, got {extra}")
    size = size or CorpusSize()
    if size.cities < size.countries:
        raise ValueError(f"a corpus needs at least as many cities as countries (a capital "
                         f"each), got {size.cities} for {size.countries}")
    builder = _Builder(rng.getrandbits(64), today)
    builder.build(size, core=True, scale=1.0)
    if extra > 0:
        builder.build(size, core=False, scale=extra)
    return builder.finish()


# -- generation -----------------------------------------------------------------------


@dataclass
class _Draft:
    """A document being written: its sections and the facts it states."""

    key: str
    """What it is about, e.g. ``article|Open Encyclopedia|company:3``: its id's seed."""
    core: bool
    kind: str
    title: str
    source: str
    day: date
    authors: tuple[str, ...] = ()
    sections: list[Section] = field(default_factory=list)
    said: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, heading: str, sentences: Iterable[str]) -> None:
        """A section of the sentences that are not empty (none: no section)."""
        text = " ".join(s for s in sentences if s)
        if text:
            self.sections.append(Section(heading, text))

    def states(self, subject: Entity, relation: str, value: str) -> None:
        self.said.append((subject.id, relation, value))


class _Builder:
    """Writes a world: first the core, then (optionally) the extras, each entity from a
    stream of its own, so the core comes out the same whatever follows it."""

    def __init__(self, seed: int, today: date) -> None:
        self.seed = seed
        self.today = today
        self.core = True
        self.entities: list[Entity] = []
        self.by_id: dict[str, Entity] = {}
        self.kinds: dict[str, list[Entity]] = {}
        self.facts: list[Fact] = []
        self.values: dict[tuple[str, str], list[Fact]] = {}
        self.drafts: list[_Draft] = []
        self.papers: list[Paper] = []
        self.names: set[str] = set()
        self.people_names: set[tuple[str, str]] = set()
        self.launched: dict[str, date] = {}
        self.roles: dict[str, list[tuple[Entity, str]]] = {}
        """Person id -> (organisation, relation) of every post they held."""
        rng = self.rng("setting")
        self.stems: list[str] = []
        while len(self.stems) < 24:
            stem = self.word(rng, rng.choice((1, 2, 2)))
            if len(stem) >= 4 and stem not in self.stems:
                self.stems.append(stem)
        self.venues = {f: [form.format(f=f.title()) for form in rng.sample(_VENUE_FORMS, 2)]
                       for f in _FIELDS}
        self.outlets = [form.format(s=stem) for form, stem in
                        zip(rng.sample(_OUTLET_FORMS, 5), rng.sample(self.stems, 5), strict=True)]
        self.journalists = [self.person_name(rng) for _ in range(8)]

    # -- streams, names, records

    def rng(self, *labels: object) -> random.Random:
        return random.Random(derive_seed(self.seed, *labels))

    @staticmethod
    def word(rng: random.Random, syllables: int) -> str:
        return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(syllables)).capitalize()

    def unique(self, rng: random.Random, make: Callable[[], str]) -> str:
        for _ in range(500):
            name = make()
            if name.casefold() not in self.names:
                self.names.add(name.casefold())
                return name
        raise ValueError("could not draw a unique name; make the corpus smaller")

    def person_name(self, rng: random.Random) -> str:
        if len(self.people_names) >= len(FIRST_NAMES) * len(LAST_NAMES) // 2:
            raise ValueError("too many people for the name pools; make the corpus smaller")
        while True:
            pair = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
            if pair not in self.people_names:
                self.people_names.add(pair)
                self.names.add(f"{pair[0]} {pair[1]}".casefold())
                return f"{pair[0]} {pair[1]}"

    def ago(self, rng: random.Random, most_days: int, least_days: int = 1) -> date:
        return self.today - timedelta(days=rng.randint(least_days, most_days))

    def add(self, kind: str, tag: object, name: str, detail: str = "") -> Entity:
        entity = Entity(f"{kind}:{'' if self.core else 'x'}{tag}", kind, name, self.core,
                        detail)
        self.entities.append(entity)
        self.by_id[entity.id] = entity
        self.kinds.setdefault(kind, []).append(entity)
        return entity

    def fact(self, subject: Entity, relation: str, value: str, since: date | None = None,
             until: date | None = None) -> None:
        fact = Fact(subject.id, relation, value, since, until)
        self.facts.append(fact)
        self.values.setdefault((subject.id, relation), []).append(fact)
        if relation in _ROLES:
            held = self.roles.setdefault(value, [])
            if (subject, relation) not in held:
                held.append((subject, relation))

    def spans(self, subject: Entity, relation: str, values: Sequence[str],
              start: date | None, change: date | None) -> None:
        """One value from ``start``, or two when it changed on ``change``."""
        self.fact(subject, relation, values[0], start, change)
        if change is not None:
            self.fact(subject, relation, values[1], change)

    def on(self, subject: Entity, relation: str, day: date) -> str | None:
        """The value on a day, or None (before the subject had one)."""
        for fact in self.values.get((subject.id, relation), []):
            if fact.holds_on(day):
                return fact.value
        return None

    def since(self, subject: Entity, relation: str, value: str) -> str:
        fact = next(f for f in self.values[(subject.id, relation)] if f.value == value)
        return str(fact.since.year) if fact.since else "its founding"

    def name(self, entity_id: str) -> str:
        return self.by_id[entity_id].name

    def pool(self, kind: str) -> list[Entity]:
        """What a new entity may link to: the core's entities for a core entity (so the
        core never depends on the extras), any for an extra."""
        return [e for e in self.kinds.get(kind, []) if e.core or not self.core]

    def changed(self, rng: random.Random, chance: float) -> date | None:
        """The day a value changed, within the last four years; None: it did not."""
        return self.ago(rng, 4 * 365, 30) if rng.random() < chance else None

    def filler(self, rng: random.Random, kind: str, name: str, most: int,
               least: int = 0) -> str:
        chosen = rng.sample(_FILLER[kind], rng.randint(least, most))
        return " ".join(s.format(n=name) for s in chosen)

    # -- entities

    def build(self, size: CorpusSize, *, core: bool, scale: float) -> None:
        self.core = core

        def count(n: int) -> int:
            return round(n * scale)

        if core:
            for i in range(size.countries):
                self.country(i)
        for i in range(count(size.cities)):
            self.city(i, size.countries if core else 0)
        for i in range(count(size.universities)):
            self.university(i)
        for i in range(count(size.companies)):
            self.company(i)
        for i in range(count(size.researchers)):
            self.researcher(i)
        for i in range(count(size.products)):
            self.product(i)
        for i in range(count(size.papers)):
            self.paper(i)
        for entity in [e for e in self.entities if e.core == core and e.kind != "paper"]:
            self.articles(entity)
            if entity.kind == "city":
                self.city_news(entity)

    def country(self, i: int) -> None:
        rng = self.rng("country", i)
        name = self.unique(rng, lambda: self.word(rng, rng.choice((1, 2)))
                           + rng.choice(_COUNTRY_ENDS))
        self.add("country", i, name, "country")

    def city(self, i: int, capitals: int) -> None:
        rng = self.rng(self.core, "city", i)
        name = self.unique(rng, lambda: self.word(rng, rng.choice((1, 2)))
                           + rng.choice(_CITY_ENDS))
        city = self.add("city", i, name, "city")
        countries = self.pool("country")
        # the core's first cities go one to each country, as its capital
        country = countries[i] if i < capitals else rng.choice(countries)
        self.fact(city, "country", country.id)
        self.fact(city, "population", str(rng.randint(40, 2_400) * 1_000 + rng.randint(0, 999)))
        if i < capitals:
            self.fact(country, "capital", city.id)

    def person(self, tag: str, role: str, age: int, occupation: str | None = None) -> Entity:
        rng = self.rng(self.core, "person", tag)
        name = self.person_name(rng)
        person = self.add("person", tag, name,
                          occupation or rng.choice(_OCCUPATIONS[role]))
        self.fact(person, "born", str(self.today.year - age))
        self.fact(person, "birthplace", rng.choice(self.pool("city")).id)
        self.fact(person, "alma_mater", rng.choice(self.pool("university")).id)
        return person

    def university(self, i: int) -> None:
        rng = self.rng(self.core, "university", i)
        city = rng.choice(self.pool("city"))
        forms = (f"University of {city.name}", f"{city.name} Institute of Technology",
                 f"{city.name} Polytechnic", f"{rng.choice(self.stems)} University",
                 f"{rng.choice(self.stems)} College")
        uni = self.add("university", i, self.unique(rng, lambda: rng.choice(forms)),
                       "public university")
        self.fact(uni, "located_in", city.id)
        self.fact(uni, "established", str(rng.randint(1820, 1985)))
        change = self.changed(rng, 0.3)
        heads = [self.person(f"president{i}", "president", rng.randint(44, 68))]
        if change:
            heads.append(self.person(f"president{i}b", "president", rng.randint(44, 66)))
        start = self.today - timedelta(days=rng.randint(6 * 365, 14 * 365))
        self.spans(uni, "president", [p.id for p in heads], start, change)
        if change:
            self.appointment(uni, "president", heads, change)

    def company(self, i: int) -> None:
        rng = self.rng(self.core, "company", i)
        sector = rng.choice(sorted(_SECTORS))
        suffixes = _SECTORS[sector][0]
        name = self.unique(rng, lambda: f"{rng.choice(self.stems)} {rng.choice(suffixes)}")
        company = self.add("company", i, name, f"{sector} company")
        # founded at least seven years ago: every article (revised within five and a half
        # years) is about a company that existed
        founded = date(self.today.year - rng.randint(7, 45), rng.randint(1, 12),
                       rng.randint(1, 28))
        self.fact(company, "founded", str(founded.year))
        self.fact(company, "sector", sector)
        founder = self.person(f"founder{i}", "founder",
                              self.today.year - founded.year + rng.randint(24, 42))
        self.fact(company, "founder", founder.id)
        cities = self.pool("city")
        move = self.changed(rng, 0.25)
        homes = [rng.choice(cities).id]
        if move:
            homes.append(rng.choice([c for c in cities if c.id != homes[0]] or cities).id)
        self.spans(company, "headquarters", homes, founded, move)
        change = self.changed(rng, 0.35)
        chiefs = [founder if rng.random() < 0.4 else
                  self.person(f"ceo{i}", "executive", rng.randint(38, 64))]
        if change:
            chiefs.append(self.person(f"ceo{i}b", "executive", rng.randint(38, 62)))
        since = founded if chiefs[0] is founder else max(
            founded, self.today - timedelta(days=rng.randint(5 * 365, 12 * 365)))
        self.spans(company, "ceo", [c.id for c in chiefs], since, change)
        if move:
            draft = self.news(f"move:{company.id}", move,
                              f"{name} moves its headquarters to {self.name(homes[1])}")
            draft.add("Story", [
                (f"{name} said it will move its headquarters from {self.name(homes[0])} to "
                f"{self.name(homes[1])}."),
                f"The {sector} company has been based in {self.name(homes[0])} since "
                f"{founded.year}." if rng.random() < 0.5 else "",
                self.filler(rng, "news", name, 2)])
            draft.states(company, "headquarters", homes[1])
        if change:
            self.appointment(company, "ceo", chiefs, change)
        for n in range(2):
            self.routine_news(company, n)

    def appointment(self, subject: Entity, relation: str, people: Sequence[Entity],
                    day: date) -> None:
        rng = self.rng(self.core, "appointment", subject.id)
        title = "chief executive" if relation == "ceo" else "president"
        old, new = people
        headline = (f"{subject.name} names {new.name} chief executive" if relation == "ceo"
                    else f"{subject.name} appoints {new.name} as president")
        draft = self.news(f"{relation}:{subject.id}", day, headline)
        draft.add("Story", [
            (f"{subject.name} has appointed {new.name} as its new {title}, effective "
            f"{day.day} {_MONTHS[day.month - 1]} {day.year}."),
            f"{new.name} succeeds {old.name}, who held the post since "
            f"{self.since(subject, relation, old.id)}." if rng.random() < 0.6 else
            f"{new.name} replaces {old.name}.",
            self.filler(rng, "news", subject.name, 2)])
        draft.states(subject, relation, new.id)

    def researcher(self, i: int) -> None:
        rng = self.rng(self.core, "researcher", i)
        fld = rng.choice(sorted(_FIELDS))
        person = self.person(f"researcher{i}", "researcher", rng.randint(28, 66),
                             f"researcher in {fld}")
        unis = self.pool("university")
        move = self.changed(rng, 0.25)
        places = [rng.choice(unis).id]
        if move:
            places.append(rng.choice([u for u in unis if u.id != places[0]] or unis).id)
        self.spans(person, "affiliation", places, None, move)
        if move:
            draft = self.news(f"joins:{person.id}", move,
                              f"{person.name} joins {self.name(places[1])}")
            draft.add("Story", [
                (f"The {fld} researcher {person.name} is leaving {self.name(places[0])} to "
                f"join {self.name(places[1])}."), self.filler(rng, "news", person.name, 2)])
            draft.states(person, "affiliation", places[1])

    def product(self, i: int) -> None:
        rng = self.rng(self.core, "product", i)
        maker = rng.choice(self.pool("company"))
        sector = next(f.value for f in self.values[(maker.id, "sector")])
        category = rng.choice(_SECTORS[sector][1])
        name = self.unique(rng, lambda: f"{self.word(rng, 2)} {rng.choice(_MODELS)}")
        product = self.add("product", i, name, category)
        founded = int(next(f.value for f in self.values[(maker.id, "founded")]))
        day = date(rng.randint(founded + 1, self.today.year), rng.randint(1, 12),
                   rng.randint(1, 28))
        if day >= self.today:
            day = self.ago(rng, 60)
        self.fact(product, "maker", maker.id)
        self.fact(product, "launched", str(day.year))
        self.launched[product.id] = day
        if day >= self.today - timedelta(days=6 * 365):
            draft = self.news(f"launch:{product.id}", day, f"{maker.name} launches {name}")
            draft.add("Story", [f"{maker.name} has launched {name}, a new {category}.",
                                self.filler(rng, "news", maker.name, 2)])
            draft.states(product, "maker", maker.id)
            draft.states(product, "launched", str(day.year))

    def paper(self, i: int) -> None:
        rng = self.rng(self.core, "paper", i)
        # a paper's authors are of its own stage: an extra paper states nothing about the core
        people = [p for p in self.kinds.get("person", []) if p.core == self.core
                  and p.detail.startswith("researcher in ")]
        if not people:
            return
        first = rng.choice(people)
        fld = first.detail.removeprefix("researcher in ")
        peers = [p for p in people if p.id != first.id and p.detail == first.detail]
        authors = [first, *rng.sample(peers, min(len(peers), rng.randint(0, 3)))]
        methods, topics = _FIELDS[fld]
        method, topic = rng.choice(methods), rng.choice(topics)
        forms = (f"{method.capitalize()} for {topic}", f"On {topic} with {method}",
                 f"A study of {topic} using {method}",
                 f"Rethinking {topic}: evidence from {method}",
                 f"{topic.capitalize()} revisited with {method}")
        tails = ("a case study", "new evidence", "a large-scale analysis",
                 f"lessons from {rng.choice(self.stems)}", f"the {rng.choice(self.stems)} data")
        title = self.unique(rng, lambda: rng.choice(forms) if rng.random() < 0.5
                            else f"{rng.choice(forms)}: {rng.choice(tails)}")
        day = self.ago(rng, 10 * 365, 14)
        venue = rng.choice(self.venues[fld])
        paper = self.add("paper", i, title, f"paper in {fld}")
        self.fact(paper, "first_author", first.id)
        for author in authors:
            self.fact(paper, "author", author.id)
        for relation, value in (("venue", venue), ("published", str(day.year)),
                                ("method", method), ("field", fld)):
            self.fact(paper, relation, value)
        draft = _Draft(f"paper|{paper.id}", self.core, "paper", title, venue, day,
                       authors=tuple(a.name for a in authors))
        draft.states(paper, "first_author", first.id)
        draft.states(paper, "venue", venue)
        draft.states(paper, "published", str(day.year))
        draft.add("Abstract", [
            f"We study {topic} using {method}.",
            rng.choice((f"Our results improve on earlier approaches to {topic}.",
                        "We find clear differences across the settings we examine.",
                        "The approach scales to data sets far larger than before.")),
            rng.choice(("We discuss implications for practice.",
                        "We release our analysis pipeline.", ""))])
        lines = []
        for author in authors:
            place = self.on(author, "affiliation", day)
            if place is not None:
                lines.append(f"{author.name} ({self.name(place)}).")
                draft.states(author, "affiliation", place)
        draft.add("Authors", lines)
        draft.add("Method", [f"The study applies {method} to {topic}.",
                             self.filler(rng, "paper", title, 1)])
        draft.add("Results", [rng.choice(("The main effect is robust across specifications.",
                                          "Accuracy improves markedly on held-out data.",
                                          "The findings hold in every subsample.")),
                              self.filler(rng, "paper", title, 1)])
        self.drafts.append(draft)
        self.papers.append(Paper(draft.key, title, draft.authors, venue, day.year, fld,
                                 method, self.core))

    # -- news

    def news(self, key: str, day: date, headline: str) -> _Draft:
        rng = self.rng(self.core, "news", key)
        draft = _Draft(f"news|{key}", self.core, "news", headline, rng.choice(self.outlets),
                       day, authors=(rng.choice(self.journalists),))
        self.drafts.append(draft)
        return draft

    def routine_news(self, company: Entity, n: int) -> None:
        rng = self.rng(self.core, "routine", company.id, n)
        day = self.ago(rng, 6 * 365)
        home, chief = self.on(company, "headquarters", day), self.on(company, "ceo", day)
        if home is None:  # founded after that day
            return
        events = (("reports higher annual revenue", "reported higher annual revenue"),
                  ("opens a new research centre", "opened a new research centre"),
                  ("signs a long-term supply agreement", "signed a long-term supply agreement"),
                  ("plans to hire two hundred staff", "plans to hire two hundred staff"),
                  ("reports a drop in annual profit", "reported a drop in annual profit"))
        headline, told = rng.choice(events)
        draft = self.news(f"routine:{company.id}:{n}", day, f"{company.name} {headline}")
        sentences = [f"{company.name}, the {self.name(home)}-based {company.detail}, {told}."]
        draft.states(company, "headquarters", home)
        if chief is not None and rng.random() < 0.7:
            mood = rng.choice(("confident", "cautious", "pleased"))
            sentences.append(f"Chief executive {self.name(chief)} said the company was "
                             f"{mood} about the year ahead.")
            draft.states(company, "ceo", chief)
        sentences.append(self.filler(rng, "news", company.name, 2))
        draft.add("Story", sentences)

    def city_news(self, city: Entity) -> None:
        rng = self.rng(self.core, "city-news", city.id)
        if rng.random() >= 0.5:
            return
        population = next(f.value for f in self.values[(city.id, "population")])
        headline = rng.choice((f"{city.name} council approves new tram line",
                               f"{city.name} plans a new riverside park",
                               f"Census: {city.name} keeps growing"))
        draft = self.news(f"city:{city.id}", self.ago(rng, 5 * 365), headline)
        verb = rng.choice(("will build", "is planning", "has approved"))
        draft.add("Story", [(f"{city.name}, a city of {int(population):,} people, {verb} new "
                            "public works."), self.filler(rng, "news", city.name, 2)])
        draft.states(city, "population", population)

    # -- articles

    def articles(self, entity: Entity) -> None:
        rng = self.rng("article", entity.id)
        days = [self.ago(rng, 5 * 365, 7)]
        if rng.random() < 0.3:
            days.append(self.ago(rng, 2000, 30))
        # no article predates its subject (a product launched last year)
        first = self.launched.get(entity.id)
        if first is not None:
            room = max(0, (self.today - first).days - 1)
            days = [d if d >= first else first + timedelta(days=rng.randint(0, room))
                    for d in days]
        for source, day in zip(ENCYCLOPEDIAS, days, strict=False):
            draft = _Draft(f"article|{source}|{entity.id}", self.core, "article", entity.name,
                           source, day)
            getattr(self, f"write_{entity.kind}")(entity, draft, day)
            draft.add("More", [self.filler(rng, entity.kind, entity.name, 4, least=1)])
            self.drafts.append(draft)

    def write_country(self, e: Entity, d: _Draft, day: date) -> None:
        capital = self.on(e, "capital", day)
        if capital is None:
            d.add("Overview", [f"{e.name} is a country."])
            return
        d.add("Overview", [f"{e.name} is a country whose capital is {self.name(capital)}."])
        d.states(e, "capital", capital)

    def write_city(self, e: Entity, d: _Draft, day: date) -> None:
        country = self.on(e, "country", day) or ""
        population = self.on(e, "population", day) or "0"
        d.add("Overview", [f"{e.name} is a city in {self.name(country)}.",
                           f"It has a population of {int(population):,}."])
        d.states(e, "country", country)
        d.states(e, "population", population)

    def write_university(self, e: Entity, d: _Draft, day: date) -> None:
        city, year = self.on(e, "located_in", day) or "", self.on(e, "established", day) or ""
        d.add("Overview", [f"{e.name} is a public university in {self.name(city)}.",
                           f"It was founded in {year}."])
        d.states(e, "located_in", city)
        d.states(e, "established", year)
        head = self.on(e, "president", day)
        if head is not None:
            d.add("Leadership", [(f"{self.name(head)} has been president of the university "
                                 f"since {self.since(e, 'president', head)}.")])
            d.states(e, "president", head)

    def write_company(self, e: Entity, d: _Draft, day: date) -> None:
        home, chief = self.on(e, "headquarters", day), self.on(e, "ceo", day)
        founder, year = self.on(e, "founder", day) or "", self.on(e, "founded", day) or ""
        sector = self.on(e, "sector", day) or ""
        d.add("Overview", [f"{e.name} is {_a(e.detail)} headquartered in {self.name(home)}."
                           if home else f"{e.name} is {_a(e.detail)}.",
                           f"It was founded in {year} by {self.name(founder)}."])
        for relation, value in (("sector", sector), ("founded", year), ("founder", founder),
                                ("headquarters", home), ("ceo", chief)):
            if value:
                d.states(e, relation, value)
        history = []
        homes = self.values[(e.id, "headquarters")]
        moved = homes[-1].since if len(homes) > 1 else None
        if moved is not None and moved <= day:
            history.append(f"In {_MONTHS[moved.month - 1]} {moved.year} the company moved its "
                           f"headquarters from {self.name(homes[0].value)} to "
                           f"{self.name(homes[1].value)}.")
        if chief is not None:
            history.append(f"{self.name(chief)} has been chief executive since "
                           f"{self.since(e, 'ceo', chief)}.")
        d.add("History", history)
        facts = [f"Founded: {year}.", f"Founder: {self.name(founder)}.", f"Sector: {sector}.",
                 f"Headquarters: {self.name(home)}." if home else "",
                 f"Chief executive: {self.name(chief)}." if chief else ""]
        d.add("Key facts", facts)

    def write_person(self, e: Entity, d: _Draft, day: date) -> None:
        born, place = self.on(e, "born", day) or "", self.on(e, "birthplace", day) or ""
        school = self.on(e, "alma_mater", day) or ""
        d.add("Overview", [f"{e.name} (born {born} in {self.name(place)}) is {_a(e.detail)}.",
                           f"{e.name} studied at {self.name(school)}."])
        d.states(e, "born", born)
        d.states(e, "birthplace", place)
        d.states(e, "alma_mater", school)
        career = []
        # posts are held in organisations of the person's own stage: a core article never
        # mentions an extra
        for org, relation in self.roles.get(e.id, []):
            if self.on(org, relation, day) != e.id:
                continue
            if relation == "founder":
                career.append(f"{e.name} founded {org.name} in {self.on(org, 'founded', day)}.")
            else:
                title = "chief executive" if relation == "ceo" else "president"
                career.append(f"{e.name} has been {title} of {org.name} since "
                              f"{self.since(org, relation, e.id)}.")
            d.states(org, relation, e.id)
        place_now = self.on(e, "affiliation", day)
        if place_now is not None:
            career.append(f"{e.name} works at {self.name(place_now)}.")
            d.states(e, "affiliation", place_now)
        d.add("Career", career)

    def write_product(self, e: Entity, d: _Draft, day: date) -> None:
        maker, year = self.on(e, "maker", day) or "", self.on(e, "launched", day) or ""
        d.add("Overview", [f"{e.name} is {_a(e.detail)} made by {self.name(maker)}.",
                           f"It was launched in {year}."])
        d.states(e, "maker", maker)
        d.states(e, "launched", year)

    # -- the end

    def finish(self) -> ResearchCorpus:
        taken: set[str] = set()
        ids: dict[str, str] = {}
        # the core's drafts take their ids first, so a collision never moves a core id
        for draft in sorted(self.drafts, key=lambda d: not d.core):
            prefix = {"article": "art", "news": "news", "paper": "paper"}[draft.kind]
            for salt in range(1_000):
                digest = hashlib.sha256(f"{self.seed}|{draft.key}|{salt}".encode()).hexdigest()
                doc_id = f"{prefix}-{digest[:6]}"
                if doc_id not in taken:
                    break
            taken.add(doc_id)
            ids[draft.key] = doc_id
        documents, statements = [], []
        for draft in self.drafts:
            doc_id = ids[draft.key]
            documents.append(Document(doc_id, draft.kind, draft.title, draft.source,
                                      draft.day.isoformat(), tuple(draft.sections),
                                      draft.authors))
            for subject, relation, value in dict.fromkeys(draft.said):
                statements.append(Statement(doc_id, subject, relation, value, draft.day))
        papers = tuple(Paper(ids[p.document], p.title, p.authors, p.venue, p.year, p.field,
                             p.method, p.core) for p in self.papers)
        return ResearchCorpus(today=self.today, entities=tuple(self.entities),
                              facts=tuple(self.facts),
                              documents=tuple(sorted(documents, key=lambda d: d.id)),
                              statements=tuple(statements), papers=papers)


_ROLES = frozenset({"founder", "ceo", "president"})


def _a(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


# -- questions ----------------------------------------------------------------------------

_ENTITY_KINDS = frozenset({"country", "city", "university", "company", "person", "product"})


def pick_question(corpus: ResearchCorpus, rng: random.Random, hops: int, *,
                  min_outdated: int = 0, last: Sequence[str] | None = None,
                  start: Sequence[str] | None = None, tries: int = 2_000) -> Question:
    """A question over the core whose answer takes ``hops`` facts in a chain, each stated
    by at least one document.

    The chain starts at a core entity the question names and follows relations of
    ``RELATIONS`` (one value each, today), never visiting an entity twice; the question
    nests the hops ("In which city was the founder of the company that makes the oat drink
    Trelo Pro born?"). Extras are never part of a chain.

    Args:
        corpus: the research world.
        rng: the stream the question is drawn from.
        hops: how many facts the answer takes (1 to 5).
        min_outdated: at least this many hops have documents that state an outdated value
            (the agent must compare dates).
        last: the relations the question may end on (default: all but those with only a
            few possible values, country and venue).
        start: the entity kinds the chain may start from (default: any).
        tries: random chains to draw before giving up.

    Raises:
        ValueError: a bad argument, or no such chain in this corpus.
    """
    if not 1 <= hops <= 5:
        raise ValueError(f"hops must be between 1 and 5, got {hops}")
    endings = tuple(last) if last is not None else _DEFAULT_LAST
    unknown = sorted(set(endings) - set(RELATIONS))
    if unknown:
        raise ValueError(f"unknown relations {unknown}; use keys of RELATIONS")
    anchors = [e for e in corpus.entities if e.core and (start is None or e.kind in start)]
    if not anchors:
        raise ValueError(f"the corpus has no core entity of the kinds {start}")
    for _ in range(tries):
        chain = _chain(corpus, rng, rng.choice(anchors), hops, endings)
        if chain is not None and sum(1 for h in chain if h.outdated) >= min_outdated:
            return Question(text=_phrase(corpus, chain), answer=chain[-1].value,
                            hops=tuple(chain))
    raise ValueError(f"no {hops}-hop chain with {min_outdated} outdated hops found in "
                     f"{tries} tries; lower hops or min_outdated, or use a larger corpus")


def _chain(corpus: ResearchCorpus, rng: random.Random, anchor: Entity, hops: int,
           endings: tuple[str, ...]) -> list[Hop] | None:
    chain: list[Hop] = []
    visited = {anchor.id}
    here = anchor
    for step in range(hops):
        final = step == hops - 1
        options = [name for name, r in RELATIONS.items() if r.subject == here.kind
                   and (name in endings if final else r.target in _ENTITY_KINDS)]
        rng.shuffle(options)
        for name in options:
            fact = corpus.current(here.id, name)
            if fact is None or fact.value in visited:
                continue
            hop = corpus.hop(here.id, name)
            if hop.documents:
                break
        else:
            return None
        chain.append(hop)
        if hop.value_id is not None:
            visited.add(hop.value_id)
            here = corpus.entity(hop.value_id)
    return chain


def _phrase(corpus: ResearchCorpus, chain: Sequence[Hop]) -> str:
    anchor = corpus.entity(chain[0].subject_id)
    inner = {"product": f"the {anchor.detail} {anchor.name}",
             "paper": f'the paper "{anchor.name}"'}.get(anchor.kind, anchor.name)
    for hop in chain[:-1]:
        inner = RELATIONS[hop.relation].phrase.format(x=inner)
    text = RELATIONS[chain[-1].relation].ask.format(x=inner)
    return text[0].upper() + text[1:]
