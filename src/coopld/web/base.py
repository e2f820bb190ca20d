"""The base-IRI mapping: the data's canonical base vs. where the client stands.

The dataset is minted under ``settings.base`` (say ``https://data.example.org/coopld``)
but may be reached elsewhere (``http://127.0.0.1:5000`` in development, or a proxy).
Every IRI under the canonical base is shown to a client under the public base of its
request, and every IRI a client sends (a path, a SPARQL query) is mapped back, so
links work from where the client stands and SPARQL sees what documents say.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from flask import current_app, request

__all__ = ["BaseMap", "base_map"]


@dataclass(frozen=True)
class BaseMap:
    canonical: str  # no trailing slash
    public: str  # no trailing slash

    @property
    def identity(self) -> bool:
        return self.canonical == self.public

    def to_public(self, iri: str) -> str:
        if not self.identity and (iri == self.canonical or iri.startswith(self.canonical + "/")):
            return self.public + iri[len(self.canonical) :]
        return iri

    def to_canonical(self, iri: str) -> str:
        if not self.identity and (iri == self.public or iri.startswith(self.public + "/")):
            return self.canonical + iri[len(self.public) :]
        return iri

    def term_to_public(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> object:
        """Map a pyoxigraph term (IRIs only; literals are left as they are)."""
        if self.identity or not isinstance(term, ox.NamedNode):
            return term
        return ox.NamedNode(self.to_public(term.value))

    def text_to_canonical(self, text: str) -> str:
        """Map public-base IRIs written in a query text (``<http://public/...>``) back."""
        if self.identity:
            return text
        return text.replace(f"<{self.public}/", f"<{self.canonical}/").replace(
            f"<{self.public}>", f"<{self.canonical}>"
        )


def base_map() -> BaseMap:
    """The mapping for the current request."""
    settings = current_app.config["COOPLD_SETTINGS"]
    public = settings.public_base or (request.host_url.rstrip("/") + request.script_root)
    return BaseMap(settings.base, public.rstrip("/"))
