"""The template language of a partnership's texts: sentences, some conditional, some filled in.

A text is one sentence or a list of them. `{name}` (or `{name.field}`) fills in a value; a
sentence that mentions a value the decision does not have (None) is left out. A sentence written
as `{if: FLAG, say: ...}` is said only when FLAG holds, `{unless: FLAG, say: ...}` only when it
does not. Which names and flags exist is the caller's business (rules/schema.py says which a
partnership's texts may use); this module only reads and fills sentences.
"""

from __future__ import annotations

import re
import string
from typing import Any, Collection, Dict, List, NamedTuple, Optional, Tuple

_FORMATTER = string.Formatter()


class TextError(ValueError):
    """A text that is not right; the message starts with where it is."""


class Sentence(NamedTuple):
    text: str  # a str.format template; the finished sentence when `fields` is empty
    fields: Tuple[str, ...]  # the values it mentions (left out when one of them is None)
    when: Optional[str] = None  # said only when this flag holds
    unless: Optional[str] = None  # said only when this flag does not hold


class Text:
    """Sentences in order; some conditional, some filled in per decision."""

    __slots__ = ("sentences",)

    def __init__(self, sentences: Tuple[Sentence, ...]):
        self.sentences = sentences

    def bind(self, static: Dict[str, Any]) -> "Text":
        """The same text with every sentence that needs only ``static`` values worked out."""
        bound = []
        for sentence in self.sentences:
            if sentence.when in static:
                if not static[sentence.when]:
                    continue
                sentence = sentence._replace(when=None)
            if sentence.unless in static:
                if static[sentence.unless]:
                    continue
                sentence = sentence._replace(unless=None)
            if sentence.fields and all(name in static for name in sentence.fields):
                if any(static[name] is None for name in sentence.fields):
                    continue
                sentence = sentence._replace(text=sentence.text.format_map(static), fields=())
            bound.append(sentence)
        return Text(tuple(bound))

    def render(self, values: Dict[str, Any]) -> List[str]:
        """The sentences said, filled in from ``values`` (a mapping that may work them out lazily)."""
        said = []
        for text, fields, when, unless in self.sentences:
            if when is not None and not values[when]:
                continue
            if unless is not None and values[unless]:
                continue
            if fields:
                for name in fields:
                    if values[name] is None:
                        break
                else:
                    said.append(text.format_map(values))
                continue
            said.append(text)
        return said

    def quoted(self, root: str) -> set:
        """The fields of ``root`` this text mentions: {"threshold"} for "{policy.threshold}"."""
        return {
            field.split(".")[1]
            for sentence in self.sentences
            for _, field, _, _ in _FORMATTER.parse(sentence.text)
            if field and field.startswith(root + ".")
        }


def parse_text(raw: Any, where: str, names: Collection[str], flags: Collection[str]) -> Text:
    """A text from a file: a sentence or a list of sentences and conditional sentences.

    ``names`` are the values a sentence may mention, ``flags`` the conditions it may depend on;
    TextError names the sentence (``where[2]``) and what is wrong with it.
    """
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise TextError(f"{where}: must be a sentence or a list of sentences")
    sentences = []
    for number, item in enumerate(items):
        place = f"{where}[{number}]"
        when = unless = None
        if isinstance(item, dict):
            if set(item) - {"if", "unless", "say"} or "say" not in item or len(item) != 2:
                raise TextError(
                    f"{place}: a conditional sentence is {{if: CONDITION, say: TEXT}} or {{unless: CONDITION, say: TEXT}}"
                )
            when, unless, item = item.get("if"), item.get("unless"), item["say"]
            condition = when or unless
            if condition not in flags:
                raise TextError(f"{place}: unknown condition {condition!r}; use one of {', '.join(flags)}")
        if not isinstance(item, str) or not item.strip():
            raise TextError(f"{place}: must be a sentence (text)")
        sentences.append(Sentence(item.strip(), _fields(item, place, names), when, unless))
    return Text(tuple(sentences))


def _fields(template: str, place: str, names: Collection[str]) -> Tuple[str, ...]:
    fields: List[str] = []
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise TextError(f"{place}: {error} (write a literal brace as {{{{ or }}}})") from None
    for _, field, _, _ in parsed:
        if field is None:
            continue
        root = re.split(r"[.\[]", field, maxsplit=1)[0]
        if root not in names:
            raise TextError(f"{place}: unknown value {{{field}}}; a text can mention {', '.join(names)}")
        if root not in fields:
            fields.append(root)
    return tuple(fields)
