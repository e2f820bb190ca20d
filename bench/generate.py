"""Synthetic coopld data of any size, written straight in the model's RDF patterns.

No YAML and no rdflib on the way: N-Triples statements are formatted as strings in the
shapes of docs/model.md and src/coopld/mapping.py (agreements with parties, signatures and
periods, priority-area schemes with numbered areas, actions numbered within their agreement
and contributing to areas of its own scheme, organisations, persons, posts, places,
documents, instruments, objectives, and for every resource English labels and
prov:qualifiedDerivation sources). The same seed and scale give the same bytes.

``bench.buildfolder.write_build`` turns them into a build folder ``coopld serve`` loads.

    python -m bench.generate --scale 1000000 --out bench/work/synthetic-1000000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from coopld.schema import ORGANISATION_TYPES

__all__ = ["DEFAULT_BASE", "Synthetic", "generate", "lang", "plain", "typed"]

DEFAULT_BASE = "http://127.0.0.1:5000"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "http://schema.org/"
AUTHORITY = "http://publications.europa.eu/resource/authority/"

AGREEMENT_TYPES = (
    ("JointActionPlan", "Joint Action Plan"),
    ("CooperationProtocol", "Cooperation Protocol"),
    ("Roadmap", "Roadmap"),
    ("CooperationFramework", "Cooperation Framework"),
    ("WorkingArrangement", "Working Arrangement"),
    ("Programme", "Programme"),
    ("Partnership", "Partnership"),
    ("CollaborativeProject", "Collaborative Project"),
)
COUNTRY_CODES = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE", "NOR", "ISL", "CHE", "GBR", "USA", "CAN", "MEX", "BRA", "ARG", "CHL", "JPN", "KOR",
    "CHN", "IND", "AUS", "NZL", "ZAF", "EGY", "MAR", "TUN", "KEN", "NGA", "UKR",
)  # fmt: skip
TOPICS = (
    "regional innovation", "water resilience", "clean energy", "digital skills",
    "health research", "circular economy", "smart specialisation", "open science",
    "marine research", "space data", "food systems", "urban mobility", "biodiversity",
    "research infrastructures", "climate adaptation", "advanced materials",
)  # fmt: skip
VERBS = (
    "Strengthen", "Map", "Support", "Promote", "Develop", "Coordinate", "Share", "Launch",
    "Pilot", "Assess", "Organise", "Connect",
)  # fmt: skip
OBJECTS = (
    "ecosystems", "networks", "partnerships", "valleys", "missions", "pilot projects",
    "training schemes", "knowledge hubs", "data platforms", "joint calls", "seminars",
    "peer reviews",
)  # fmt: skip
FRENCH_VERBS = ("Renforcer", "Cartographier", "Soutenir", "Promouvoir", "Développer")
ROLES = ("Commissioner", "Director-General", "President", "Minister", "Rector", "Chair")


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def lang(text: str, tag: str = "en") -> str:
    return f'"{_esc(text)}"@{tag}'


def plain(text: str) -> str:
    return f'"{_esc(text)}"'


def typed(text: str, datatype: str) -> str:
    return f'"{_esc(text)}"^^<{XSD}{datatype}>'


def date(value: str) -> str:
    """'2026' -> xsd:gYear, '2023-06' -> xsd:gYearMonth, '2026-04-24' -> xsd:date."""
    return typed(value, {4: "gYear", 7: "gYearMonth", 10: "date"}[len(value)])


class _Ns:
    """``ns.term`` -> ``<{namespace}term>``, cached."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        term = f"<{self._namespace}{name}>"
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> str:
        return str(getattr(self, name))


R, RS, SK, DC, DA, PR, FO, OR, SC = (
    _Ns(ns) for ns in (RDF, RDFS, SKOS, DCT, DCAT, PROV, FOAF, ORG, SCHEMA)
)
A = R.type


@dataclass(frozen=True)
class Pools:
    """How many shared resources (cited by many agreements) a dataset of ``scale`` triples has."""

    documents: int
    organisations: int
    persons: int
    countries: int
    regions: int
    places: int
    instruments: int

    @classmethod
    def for_scale(cls, scale: int) -> Pools:
        return cls(
            documents=max(4, scale // 2000),
            organisations=max(8, scale // 800),
            persons=max(4, scale // 2500),
            countries=min(len(COUNTRY_CODES), max(3, scale // 20000)),
            regions=max(2, scale // 20000),
            places=max(2, scale // 20000),
            instruments=max(2, scale // 50000),
        )


@dataclass
class Synthetic:
    """What ``generate`` produced: the statements (N-Triples, no final dot) and a summary."""

    lines: list[str]
    counts: dict[str, int]
    scale: int
    seed: int
    base: str

    @property
    def triples(self) -> int:
        return len(self.lines)


class _Generator:
    def __init__(self, scale: int, seed: int, base: str) -> None:
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.base = base
        self.c = _Ns(f"{base}/def/coop#")
        self.lines: list[str] = []
        self.counts: Counter[str] = Counter()
        self.blanks = 0
        self.pools = Pools.for_scale(scale)

    # -- helpers ------------------------------------------------------------------------
    def iri(self, kind: str, key: str) -> str:
        return f"<{self.base}/id/{kind}/{key}>"

    def add(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o}")

    def blank(self) -> str:
        self.blanks += 1
        return f"_:g{self.blanks:x}"

    def record(self, kind: str, key: str, cls: str, label: str, french: str | None = None) -> str:
        """The triples every record has: its class, labels and one or two sources."""
        s = self.iri(kind, key)
        self.counts[kind] += 1
        self.add(s, A, cls)
        for p in (RS.label, SK.prefLabel):
            self.add(s, p, lang(label))
            if french:
                self.add(s, p, lang(french, "fr"))
        documents = self.rng.sample(
            self.documents, min(len(self.documents), self.rng.choice((1, 1, 2)))
        )
        for document in documents:
            self.source(s, document)
        return s

    def source(self, s: str, document: str) -> None:
        self.add(s, PR.wasDerivedFrom, document)
        node = self.blank()
        self.add(s, PR.qualifiedDerivation, node)
        self.add(node, A, PR.Derivation)
        self.add(node, PR.entity, document)
        section, paragraph = self.rng.randint(1, 9), self.rng.randint(1, 12)
        self.add(node, self.c.locator, plain(f"section {section}, paragraph {paragraph}"))
        if self.rng.random() < 0.5:
            self.add(node, self.c.quote, lang(f"as stated in section {section}"))

    def period(self, s: str, start: int, end: int | None) -> None:
        node = self.blank()
        self.add(s, DC.temporal, node)
        self.add(node, A, DC.PeriodOfTime)
        self.add(node, DA.startDate, date(str(start)))
        if end is not None:
            self.add(node, DA.endDate, date(str(end)))

    def day(self, first_year: int = 2000, last_year: int = 2026) -> str:
        year = self.rng.randint(first_year, last_year)
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    # -- shared pools -------------------------------------------------------------------
    def documents_pool(self) -> None:
        # documents are their own sources, so their IRIs exist before any record cites them
        self.documents = [self.iri("document", f"doc-{i:05d}") for i in range(self.pools.documents)]
        self.publishers: list[str] = []
        for i, s in enumerate(self.documents):
            source = i % 3 == 0
            cls = self.c.SourceDocument if source else self.c.Publication
            title = f"{self.rng.choice(TOPICS).capitalize()} report {i}"
            self.counts["document"] += 1
            self.add(s, A, cls)
            self.add(s, A, self.c.Document)
            self.add(s, A, FO.Document)
            for p in (RS.label, SK.prefLabel, DC.title):
                self.add(s, p, lang(title))
            self.source(s, s)
            if source:
                digest = hashlib.sha256(f"doc {i}".encode()).hexdigest()[:16]
                self.add(s, self.c.fileName, plain(f"{i % 1000:03d}_{digest}.txt"))
            self.add(s, SC.url, typed(f"https://example.org/documents/{i}", "anyURI"))
            self.add(s, DC.issued, date(self.day()[: self.rng.choice((4, 7, 10))]))
            self.add(s, SC.inLanguage, plain("en"))
            if self.rng.random() < 0.3:
                self.add(s, self.c.doi, plain(f"10.2760/{100000 + i}"))

    def actor_pools(self) -> None:
        p = self.pools
        self.countries = []
        for code in COUNTRY_CODES[: p.countries]:
            s = self.record("country", f"country-{code.lower()}", self.c.Country, f"Country {code}")
            self.add(s, A, self.c.Actor)
            self.add(s, FO.name, lang(f"Country {code}"))
            self.add(s, self.c.countryCode, f"<{AUTHORITY}country/{code}>")
            self.countries.append(s)
        self.regions = []
        for i in range(p.regions):
            s = self.record("region", f"region-{i:04d}", self.c.Region, f"Region {i}")
            self.add(s, A, self.c.Actor)
            self.add(s, FO.name, lang(f"Region {i}"))
            self.add(s, self.c.basedIn, self.rng.choice(self.countries))
            self.regions.append(s)
        self.places = []
        for i in range(p.places):
            s = self.record("place", f"place-{i:04d}", self.c.Place, f"City {i}")
            self.add(s, self.c.inCountry, self.rng.choice(self.countries))
            self.places.append(s)
        self.organisations: list[str] = []
        for i in range(p.organisations):
            self.organisation(i)
        self.persons: list[str] = []
        self.posts: list[tuple[str, str]] = []  # (post, its holder)
        for i in range(p.persons):
            name = f"Person {i}"
            person = self.record("person", f"person-{i:05d}", self.c.Person, name)
            self.add(person, A, self.c.Actor)
            self.add(person, A, FO.Person)
            self.add(person, FO.name, lang(name))
            role = self.rng.choice(ROLES)
            post = self.record("post", f"post-{i:05d}", OR.Post, f"{role} {i}")
            self.add(post, OR.postIn, self.rng.choice(self.organisations))
            self.add(post, OR.heldBy, person)
            self.add(person, OR.holds, post)
            self.persons.append(person)
            self.posts.append((post, person))
        for i, s in enumerate(self.documents):
            if i % 2 == 0:
                self.add(s, DC.publisher, self.rng.choice(self.organisations))

    def organisation(self, i: int) -> None:
        kind = ORGANISATION_TYPES[i % len(ORGANISATION_TYPES)]
        name = f"{self.rng.choice(TOPICS).capitalize()} {kind.lower()} {i}"
        s = self.record("organisation", f"org-{i:05d}", self.c[kind], name)
        self.add(s, A, self.c.Actor)
        if kind != "Organisation":
            self.add(s, A, self.c.Organisation)
        self.add(s, A, OR.Organization)
        self.add(s, FO.name, lang(name))
        self.add(s, DC.created, date(str(self.rng.randint(1950, 2024))))
        self.add(s, self.c.basedIn, self.rng.choice(self.places + self.countries))
        earlier = self.organisations
        if kind == "OrganisationalUnit" and earlier:
            parent = self.rng.choice(earlier)
            self.add(s, OR.unitOf, parent)
            self.add(parent, OR.hasUnit, s)
        elif kind in ("Network", "Consortium") and len(earlier) >= 3:
            self.add(s, self.c.memberCount, typed(str(self.rng.randint(3, 300)), "integer"))
            for member in self.rng.sample(earlier, 3):
                self.add(member, OR.memberOf, s)
                self.add(s, OR.hasMember, member)
        self.organisations.append(s)

    def themes_and_instruments(self) -> None:
        scheme = self.record("scheme", "themes", SK.ConceptScheme, "Themes of cooperation")
        self.add(scheme, DC.title, lang("Themes of cooperation"))
        self.themes = []
        for number, topic in enumerate(TOPICS, start=1):
            key = "theme-" + topic.replace(" ", "-")
            concept = self.record("concept", key, SK.Concept, topic.capitalize())
            self.add(concept, SK.inScheme, scheme)
            self.add(concept, SK.topConceptOf, scheme)
            self.add(scheme, SK.hasTopConcept, concept)
            self.add(concept, self.c.number, typed(str(number), "integer"))
            self.add(concept, SK.notation, plain(str(number)))
            self.themes.append(concept)
        self.instruments: list[str] = []
        for i in range(self.pools.instruments):
            label = f"Funding programme {i}"
            s = self.record("instrument", f"instrument-{i:04d}", self.c.FundingInstrument, label)
            self.add(s, DC.title, lang(label))
            self.add(s, self.c.managedBy, self.rng.choice(self.organisations))
            start = self.rng.randint(2000, 2024)
            self.period(s, start, start + 6)
            if self.instruments and self.rng.random() < 0.3:
                self.add(s, DC.isPartOf, self.rng.choice(self.instruments))
            self.instruments.append(s)

    # -- agreements and what hangs off them ----------------------------------------------
    def agreement(self, i: int) -> None:
        rng, c = self.rng, self.c
        key = f"agreement-{i:05d}"
        type_name, type_label = AGREEMENT_TYPES[i % len(AGREEMENT_TYPES)]
        topic = rng.choice(TOPICS)
        label = f"{type_label} {i} on {topic}"
        french = f"Accord {i} : {topic}" if rng.random() < 0.3 else None
        s = self.record("agreement", key, c[type_name], label, french)
        self.add(s, A, c.Agreement)
        self.add(s, DC.title, lang(label))
        self.add(s, DC.description, lang(f"Cooperation between the parties on {topic}."))
        actors = self.organisations + self.countries + self.regions
        parties = rng.sample(actors, rng.randint(2, 4))
        for party in parties:
            self.add(s, c.party, party)
        organisations = [p for p in parties if p in self.organisation_set]
        if organisations:
            self.add(s, c.coordinator, organisations[0])
        for post, person in rng.sample(self.posts, min(len(self.posts), rng.randint(1, 3))):
            self.add(s, c.signatory, person)
            node = self.blank()
            self.add(s, PR.qualifiedAttribution, node)
            self.add(node, A, c.Signature)
            self.add(node, PR.agent, person)
            self.add(node, c.inCapacityOf, post)
        signed = self.day()
        self.add(s, c.signatureDate, date(signed))
        self.add(s, c.signaturePlace, rng.choice(self.places))
        start = int(signed[:4])
        self.period(s, start, start + rng.randint(2, 6) if rng.random() < 0.9 else None)
        self.add(s, c.documentedIn, rng.choice(self.documents))
        for theme in rng.sample(self.themes, rng.randint(1, 3)):
            self.add(s, c.theme, theme)
        self.add(s, DC.spatial, rng.choice(self.countries + self.regions))
        if rng.random() < 0.5:
            self.add(s, c.fundedUnder, rng.choice(self.instruments))
            self.add(s, c.fundingNote, lang("Funded under the existing programmes."))
        if self.agreements and rng.random() < 0.2:
            earlier = rng.choice(self.agreements)
            self.add(s, c.renews, earlier)
            self.add(s, c.buildsOn, earlier)
        for number in range(1, rng.randint(0, 4) + 1):
            objective = self.record(
                "objective",
                f"{key}-objective-{number}",
                c.Objective,
                f"Objective {number} of {label}",
            )
            self.add(objective, c.objectiveOf, s)
            self.add(s, c.hasObjective, objective)
            self.add(objective, c.number, typed(str(number), "integer"))
        areas = self.scheme(s, key, label) if rng.random() < 0.85 else []
        for number in range(1, rng.randint(5, 35) + 1):
            self.action(s, key, number, areas, parties)
        self.agreements.append(s)

    def scheme(self, agreement: str, key: str, label: str) -> list[str]:
        c = self.c
        title = f"Priority areas of {label}"
        scheme = self.record("scheme", f"{key}-priority-areas", c.PriorityAreaScheme, title)
        self.add(scheme, A, SK.ConceptScheme)
        self.add(scheme, DC.title, lang(title))
        self.add(scheme, c.schemeOf, agreement)
        self.add(agreement, c.priorityAreaScheme, scheme)
        areas = []
        for number in range(1, self.rng.randint(3, 9) + 1):
            topic = self.rng.choice(TOPICS)
            area = self.record(
                "priority-area",
                f"{key}-area-{number}",
                c.PriorityArea,
                f"{number}. {topic.capitalize()}",
            )
            self.add(area, A, SK.Concept)
            self.add(area, SK.inScheme, scheme)
            self.add(area, SK.topConceptOf, scheme)
            self.add(scheme, SK.hasTopConcept, area)
            self.add(area, c.number, typed(str(number), "integer"))
            self.add(area, SK.notation, plain(str(number)))
            self.add(agreement, c.hasPriorityArea, area)
            areas.append(area)
        return areas

    def action(
        self, agreement: str, key: str, number: int, areas: list[str], parties: list[str]
    ) -> None:
        rng, c = self.rng, self.c
        verb, topic, thing = rng.choice(VERBS), rng.choice(TOPICS), rng.choice(OBJECTS)
        label = f"{verb} {topic} {thing}"
        french = f"{rng.choice(FRENCH_VERBS)} : {topic}" if rng.random() < 0.3 else None
        s = self.record("action", f"{key}-action-{number}", c.Action, label, french)
        if rng.random() < 0.5:
            self.add(
                s, DC.description, lang(f"Action {number}: {label.lower()} with the partners.")
            )
        self.add(s, c.actionOf, agreement)
        self.add(agreement, c.hasAction, s)
        self.add(s, c.number, typed(str(number), "integer"))
        if areas:
            contributes = rng.sample(areas, min(len(areas), rng.randint(1, 3)))
            for area in contributes:
                self.add(s, c.contributesTo, area)
            if rng.random() < 0.4:
                self.add(s, c.focusArea, contributes[0])
        involved = rng.sample(parties, rng.randint(1, len(parties)))
        if rng.random() < 0.3:
            extra = rng.choice(self.organisations)
            if extra not in involved:
                involved.append(extra)
        for actor in involved:
            self.add(s, c.involves, actor)
        if rng.random() < 0.6:
            self.add(s, c.leadActor, involved[0])
        if rng.random() < 0.1:
            self.add(s, c.fundedUnder, rng.choice(self.instruments))
        if rng.random() < 0.05 and len(self.agreements) > 0:
            self.add(s, DC.relation, rng.choice(self.agreements))

    def run(self) -> Synthetic:
        self.documents_pool()
        self.actor_pools()
        self.organisation_set = frozenset(self.organisations)
        self.themes_and_instruments()
        self.agreements: list[str] = []
        while len(self.lines) < self.scale or len(self.agreements) < 2:
            self.agreement(len(self.agreements))
        counts = dict(sorted(self.counts.items()))
        return Synthetic(self.lines, counts, self.scale, self.seed, self.base)


def generate(scale: int, seed: int = 42, base: str = DEFAULT_BASE) -> Synthetic:
    """At least ``scale`` triples (a little more: the last agreement is finished)."""
    return _Generator(scale, seed, base).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scale", type=int, default=1_000_000, help="triples (at least)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, required=True, help="build folder to write")
    parser.add_argument("--from-build", type=Path, help="real build to copy graphs from")
    args = parser.parse_args(argv)
    from .buildfolder import write_build

    manifest = write_build(args.out, args.scale, args.seed, args.from_build)
    print(
        f"{manifest['triples']} triples in {manifest['seconds']} s -> {args.out}",
        json.dumps(manifest["counts"]),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
