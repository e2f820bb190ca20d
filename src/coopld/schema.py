"""The record schema of docs/model.md: which fields each record type has, and what each holds.

Data only: ``records.py`` checks records against it, ``mapping.py`` follows the same names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .namespaces import CORPORATE_BODY_CODES, COUNTRY_CODES

__all__ = [
    "ACTOR_KINDS",
    "COMMON",
    "DATE_PATTERN",
    "DURATION_PATTERN",
    "LANG_PATTERN",
    "ORGANISATION_TYPES",
    "TYPES",
    "URL_PATTERN",
    "FieldSpec",
    "field_spec",
]

DATE_PATTERN = re.compile(r"^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")
DURATION_PATTERN = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
URL_PATTERN = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")

ACTOR_KINDS = ("organisation", "country", "region", "person")


@dataclass(frozen=True)
class FieldSpec:
    """What one record field holds: its shape, the kinds a reference may point at."""

    shape: str
    targets: tuple[str, ...] = ()
    required: bool = False

    def describe(self) -> str:
        if self.shape in ("ref", "refs"):
            what = " or ".join(self.targets)
            return f"the key of a {what} record" + (
                " (or a list of them)" if self.shape == "refs" else ""
            )
        return {
            "langmap": "a language map like {en: 'text'}",
            "langlist": "a language map like {en: 'text'} or {en: ['a', 'b']}",
            "date": "a quoted date: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'",
            "int": "a whole number",
            "posint": "a positive whole number",
            "str": "a string",
            "url": "an absolute http(s) URL",
            "urls": "a list of absolute http(s) URLs",
            "duration": "an ISO 8601 duration like 'P3Y'",
            "corporate-body": "one of " + ", ".join(sorted(CORPORATE_BODY_CODES)),
            "country-code": "one of " + ", ".join(sorted(COUNTRY_CODES)),
            "sources": "a list of {document, locator, quote}",
            "signatures": "a list of {person, post}",
            "period": "{start: date, end: date}",
            "lang": "a BCP 47 language tag like 'en'",
        }[self.shape]


def field_spec(shape: str, *targets: str, required: bool = False) -> FieldSpec:
    return FieldSpec(shape, targets, required)


COMMON: dict[str, FieldSpec] = {
    "key": field_spec("str", required=True),
    "type": field_spec("str", required=True),
    "label": field_spec("langmap", required=True),
    "altLabel": field_spec("langlist"),
    "description": field_spec("langmap"),
    "sources": field_spec("sources", required=True),
    "seeAlso": field_spec("urls"),
    "homepage": field_spec("url"),
}

AGREEMENT: dict[str, FieldSpec] = {
    "parties": field_spec("refs", *ACTOR_KINDS),
    "coordinators": field_spec("refs", "organisation"),
    "signatures": field_spec("signatures"),
    "signed": field_spec("date"),
    "signedAt": field_spec("ref", "place"),
    "period": field_spec("period"),
    "created": field_spec("date"),
    "documentedIn": field_spec("refs", "document"),
    "renews": field_spec("refs", "agreement"),
    "buildsOn": field_spec("refs", "agreement"),
    "inLineWith": field_spec("refs", "agreement"),
    "implements": field_spec("refs", "agreement"),
    "partOf": field_spec("refs", "agreement"),
    "priorityAreaScheme": field_spec("ref", "scheme"),
    "themes": field_spec("refs", "concept", "priority-area"),
    "formsOfCooperation": field_spec("refs", "concept"),
    "objectives": field_spec("refs", "objective"),
    "fundedUnder": field_spec("refs", "instrument"),
    "fundingNote": field_spec("langmap"),
    "coordinationNote": field_spec("langmap"),
    "monitoringNote": field_spec("langmap"),
    "schedule": field_spec("langmap"),
    "duration": field_spec("duration"),
    "outputs": field_spec("refs", "document"),
    "memberCount": field_spec("int"),
    "spatial": field_spec("refs", "country", "region"),
}

ACTION: dict[str, FieldSpec] = {
    "agreement": field_spec("ref", "agreement", required=True),
    "number": field_spec("posint"),
    "contributesTo": field_spec("refs", "priority-area"),
    "focus": field_spec("refs", "priority-area"),
    "involves": field_spec("refs", *ACTOR_KINDS),
    "leads": field_spec("refs", *ACTOR_KINDS),
    "relatedTo": field_spec("refs", "agreement", "instrument", "organisation"),
    "fundedUnder": field_spec("refs", "instrument"),
    "fundingNote": field_spec("langmap"),
}

ACTOR: dict[str, FieldSpec] = {
    "unitOf": field_spec("ref", "organisation"),
    "subOrganisationOf": field_spec("ref", "organisation"),
    "memberOf": field_spec("refs", "organisation"),
    "authorityCode": field_spec("corporate-body"),
    "countryCode": field_spec("country-code"),
    "created": field_spec("date"),
    "memberCount": field_spec("int"),
    "basedIn": field_spec("ref", "place", "country", "region"),
}

DOCUMENT: dict[str, FieldSpec] = {
    "file": field_spec("str"),
    "url": field_spec("url"),
    "publisher": field_spec("ref", "organisation"),
    "issued": field_spec("date"),
    "license": field_spec("url"),
    "doi": field_spec("str"),
    "isbn": field_spec("str"),
    "catalogueNumber": field_spec("str"),
    "identifier": field_spec("str"),
    "citation": field_spec("str"),
    "language": field_spec("lang"),
}

_AGREEMENT_TYPES = (
    "JointActionPlan",
    "CooperationProtocol",
    "Roadmap",
    "CooperationFramework",
    "WorkingArrangement",
    "Programme",
    "Partnership",
    "CollaborativeProject",
)
ORGANISATION_TYPES = (
    "Institution",
    "OrganisationalUnit",
    "InternationalOrganisation",
    "Network",
    "Consortium",
    "WorkingGroup",
    "Organisation",
)

#: record type -> (kind, allowed fields besides the common ones)
TYPES: dict[str, tuple[str, dict[str, FieldSpec]]] = {
    **{t: ("agreement", AGREEMENT) for t in _AGREEMENT_TYPES},
    "Action": ("action", ACTION),
    **{t: ("organisation", ACTOR) for t in ORGANISATION_TYPES},
    "Country": ("country", ACTOR),
    "Region": ("region", ACTOR),
    "Person": ("person", ACTOR),
    "Post": (
        "post",
        {"postIn": field_spec("ref", "organisation"), "heldBy": field_spec("ref", "person")},
    ),
    "Place": ("place", {"country": field_spec("ref", "country")}),
    "PriorityAreaScheme": ("scheme", {"schemeOf": field_spec("ref", "agreement")}),
    "ConceptScheme": ("scheme", {"schemeOf": field_spec("ref", "agreement")}),
    "PriorityArea": (
        "priority-area",
        {
            "scheme": field_spec("ref", "scheme", required=True),
            "number": field_spec("posint", required=True),
        },
    ),
    "Concept": (
        "concept",
        {"scheme": field_spec("ref", "scheme", required=True), "number": field_spec("posint")},
    ),
    "Objective": (
        "objective",
        {
            "of": field_spec("ref", "agreement", "organisation", required=True),
            "number": field_spec("posint"),
        },
    ),
    "FundingInstrument": (
        "instrument",
        {
            "managedBy": field_spec("refs", "organisation"),
            "partOf": field_spec("ref", "instrument", "agreement"),
            "period": field_spec("period"),
        },
    ),
    "SourceDocument": ("document", {**DOCUMENT, "file": field_spec("str", required=True)}),
    "Publication": ("document", DOCUMENT),
}
