"""The spaCy components of the asbcr_en pipeline.

Every component proposes candidate spans in doc.spans["asbcr_candidates"] (overlaps allowed);
the last one, asbcr_resolve, picks the final doc.ents. Labels starting with "_" are cues used
by asbcr_context (a threat word, a "now" word, a person word) and never reach doc.ents.
A span's id_ holds the canonical value; an empty id_ means "the words themselves".
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from bot.nlp import dates

CANDIDATES = "asbcr_candidates"
DATE_CHARS = "asbcr_date_chars"

# Where two candidates overlap the longer wins; on a tie, the label earlier in this list.
LABEL_PRIORITY = [
    "danger",
    "date",
    "organisation",
    "incident_count",
    "someone_else",
    "staff_conduct",
    "asb_status",
    "relation",
]

_CLAUSE_BREAKS = {".", "!", "?", ";", "\n", "...", "..", "!!", "??"}


def _add_candidate(doc: Doc, start: int, end: int, label: str, value: str = "") -> Span | None:
    if end <= start:
        return None
    span = Span(doc, start, end, label=label, span_id=value)
    group = doc.spans[CANDIDATES] if CANDIDATES in doc.spans else None
    if group is None:
        doc.spans[CANDIDATES] = [span]
    else:
        group.append(span)
    return span


def candidates(doc: Doc, label: str | None = None) -> list[Span]:
    if CANDIDATES not in doc.spans:
        return []
    return [s for s in doc.spans[CANDIDATES] if label is None or s.label_ == label]


def sentence_ids(doc: Doc) -> list[int]:
    """A clause number for every token: punctuation that ends a sentence, or a line break, starts a new one.
    So does "and now" / "but now": "I had a review last year and now he's at my door" is two times."""
    ids, current = [], 0
    for token in doc:
        ids.append(current)
        turns_to_now = token.lower_ in ("and", "but", "so") and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "now"
        if (
            turns_to_now
            or token.text in _CLAUSE_BREAKS
            or "\n" in token.text
            or "\n" in token.whitespace_
            or (token.is_punct and set(token.text) <= set(".!?"))
        ):
            current += 1
    return ids


class _DataComponent:
    """A component configured by a JSON-able dict, saved with the pipeline."""

    def __init__(self, nlp: Language, name: str):
        self.nlp = nlp
        self.name = name
        self.data: dict = {}

    def configure(self, data: dict) -> None:
        self.data = data
        self._compile()

    def _compile(self) -> None:
        pass

    def to_disk(self, path, exclude=tuple()):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "data.json").write_text(json.dumps(self.data, ensure_ascii=False, indent=0), encoding="utf-8")

    def from_disk(self, path, exclude=tuple()):
        self.configure(json.loads((Path(path) / "data.json").read_text(encoding="utf-8")))
        return self


@Language.factory("asbcr_phrases")
def make_phrases(nlp, name):
    return PhraseRules(nlp, name)


class PhraseRules(_DataComponent):
    """Matches the phrase lists of patterns/*.yml.

    data = {"rules": [{"label": ..., "value": ..., "patterns": [matcher pattern, ...], "trims": [n, ...]}]};
    value "" means the matched words; trim = tokens at the end that are context, not span.
    """

    # spaCy's Matcher tries every pattern at every token (about 5 ms for a short message with
    # our ~1,800 patterns). Ours are plain word sequences, so we index them by their first two
    # words (one-word patterns by their word) and check the rest.

    def _compile(self) -> None:
        self.index: dict = {}
        for number, rule in enumerate(self.data.get("rules", [])):
            for pattern, trim in zip(rule["patterns"], rule["trims"]):
                for words in _without_optionals(pattern):
                    if len(words) - trim <= 0:
                        continue
                    entry = (words, number * 1000 + trim)
                    if len(words) == 1:
                        for first in words[0]:
                            self.index.setdefault(first, []).append(entry)
                    else:
                        for pair in itertools.product(words[0], words[1]):
                            self.index.setdefault(pair, []).append(entry)

    def __call__(self, doc: Doc) -> Doc:
        lower = [t.lower_ for t in doc]
        rules = self.data.get("rules", [])
        found: dict[int, list[tuple[int, int]]] = {}
        n = len(lower)
        for start, word in enumerate(lower):
            entries = self.index.get(word, [])
            if start + 1 < n:
                entries = entries + self.index.get((word, lower[start + 1]), [])
            for words, key in entries:
                end = start + len(words)
                if end <= n and all(lower[start + k] in words[k] for k in range(2, len(words))):
                    found.setdefault(key, []).append((start, end))
        for key, spans in found.items():
            rule, trim = rules[key // 1000], key % 1000
            kept: list[tuple[int, int]] = []
            for start, end in sorted(set(spans), key=lambda s: (s[0] - s[1], s[0])):  # longest first
                if all(end <= s or start >= e for s, e in kept):
                    kept.append((start, end))
            for start, end in kept:
                _add_candidate(doc, start, end - trim, rule["label"], rule["value"])
        return doc


def _without_optionals(pattern: list[dict]) -> list[tuple[frozenset, ...]]:
    """A Matcher-style pattern as plain word-set sequences: each optional token in or out."""
    options: list[list[frozenset]] = []
    for token in pattern:
        test = token["LOWER"]
        words = frozenset(test["IN"]) if isinstance(test, dict) else frozenset([test])
        options.append([words, None] if token.get("OP") == "?" else [words])
    out = []
    for combo in itertools.product(*options):
        words = tuple(w for w in combo if w is not None)
        if words:
            out.append(words)
    return out


@Language.factory("asbcr_dates")
def make_dates(nlp, name):
    return DateSpans(nlp, name)


class DateSpans(_DataComponent):
    """Date expressions, found by bot.nlp.dates (the same grammar that reads them)."""

    def __call__(self, doc: Doc) -> Doc:
        exact = doc.user_data.setdefault(DATE_CHARS, {})
        for start, end in dates.find_date_spans(doc.text):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None or not len(span):
                continue
            added = _add_candidate(doc, span.start, span.end, "date", "")
            if added is not None:
                exact[(span.start, span.end)] = (start, end)  # "12 Feb." keeps its full stop out
        return doc


@Language.factory("asbcr_counts")
def make_counts(nlp, name):
    return IncidentCounts(nlp, name)


class IncidentCounts(_DataComponent):
    """How many incidents: "3 times", "3x", "twice", "a dozen times", "loads of times", a bare "4".

    data = {"numbers": {word: n}, "multiplicatives": {word: n}, "weak": [...], "ordinals": {...},
    "count_nouns": [...], "hedges": [[w, ...], ...], "many": [[w, ...], ...],
    "many_alone": [...], "zero_alone": [...]}
    """

    _DIGITS = re.compile(r"^(\d{1,4})(x|times|time)?$")
    _ORDINAL = re.compile(r"^(\d{1,3})(st|nd|rd|th)$")
    _PERIOD = {"day", "week", "night", "month", "year", "fortnight", "weekend", "wk", "evening", "morning"}

    def _compile(self) -> None:
        self.numbers = {tuple(k.split()): v for k, v in self.data.get("numbers", {}).items()}
        self.max_words = max((len(k) for k in self.numbers), default=1)
        self.multiplicatives = self.data.get("multiplicatives", {})
        self.weak = set(self.data.get("weak", []))
        self.ordinals = self.data.get("ordinals", {})
        self.nouns = set(self.data.get("count_nouns", []))
        self.hedges = {tuple(h.split()) for h in self.data.get("hedges", [])}
        self.many = sorted({tuple(m) for m in self.data.get("many", [])}, key=len, reverse=True)
        self.many_alone = {m.lower() for m in self.data.get("many_alone", [])}
        self.zero_alone = {m.lower() for m in self.data.get("zero_alone", [])}

    def _number_at(self, words: list[str], i: int) -> tuple[int, int, bool] | None:
        """(value, length in tokens, weak) for a number starting at token i."""
        m = self._DIGITS.match(words[i])
        if m:
            return int(m.group(1)), 1, False
        for size in range(min(self.max_words, len(words) - i), 0, -1):
            key = tuple(words[i : i + size])
            if key in self.numbers:
                value = self.numbers[key]
                # "twenty five"
                if value in (20, 30, 40, 50) and i + size < len(words):
                    unit = self.numbers.get((words[i + size],))
                    if unit and unit < 10 and words[i + size] not in self.weak:
                        return value + unit, size + 1, False
                return value, size, key[0] in self.weak and size == 1
        return None

    def _frequency_after(self, words: list[str], j: int) -> bool:
        """ "... times a week": a rate, not a count."""
        return j + 1 < len(words) and words[j] in ("a", "an", "per", "every", "each") and words[j + 1].rstrip("s") in self._PERIOD

    def __call__(self, doc: Doc) -> Doc:
        words = [t.lower_ for t in doc]
        n = len(words)
        taken = [False] * n
        i = 0
        while i < n:
            found = self._count_at(words, i)
            if found:
                start, end, value = found
                _add_candidate(doc, start, end, "incident_count", value)
                for k in range(start, end):
                    taken[k] = True
                i = end
            else:
                i += 1
        if not any(taken):
            self._short_answer(doc, words)
        return doc

    def _count_at(self, words: list[str], i: int) -> tuple[int, int, str] | None:
        n = len(words)
        word = words[i]
        # "3x", "4times"
        m = self._DIGITS.match(word)
        if m and m.group(2):
            if self._frequency_after(words, i + 1):
                return None
            return i, i + 1, str(int(m.group(1)))
        # "once", "twice", "once or twice"
        if word in self.multiplicatives:
            if i > 0 and words[i - 1] in ("at", "all"):
                return None
            nxt = words[i + 1] if i + 1 < n else ""
            if nxt in (
                "again",
                "more",
                "upon",
                "he",
                "she",
                "they",
                "i",
                "we",
                "you",
                "it",
                "the",
                "that",
                "this",
                "in",
                "someone",
                "somebody",
                "over",
                "their",
                "his",
                "her",
                "everyone",
                "before",
            ):
                return None
            if self._frequency_after(words, i + 1):
                return None
            end = i + 1
            if end + 1 < n and words[end] == "or" and words[end + 1] in self.multiplicatives:
                end += 2
            return i, end, str(self.multiplicatives[word])
        # "the 5th time"
        m = self._ORDINAL.match(word)
        if m and i + 1 < n and words[i + 1] == "time":
            return i, i + 1, m.group(1)
        # "loads of times", "too many times", "countless incidents", "lost count"
        for phrase in self.many:
            size = len(phrase)
            if tuple(words[i : i + size]) != phrase:
                continue
            j = i + size
            if phrase == ("lost", "count"):
                return i, j, "many"
            if j < n and words[j] == "of":
                j += 1
            if j < n and words[j] in self.nouns and not self._frequency_after(words, j + 1):
                return i, i + size, "many"
        # "3 times", "three incidents", "5 or 6 times", "a dozen times"
        number = self._number_at(words, i)
        if number:
            value, size, weak = number
            j = i + size
            if j + 1 < n and words[j] in ("or", "-", "to") and self._number_at(words, j + 1):
                j += 1 + self._number_at(words, j + 1)[1]
            end = j
            if j < n and words[j] == "of" and j + 1 < n and words[j + 1] in self.nouns:
                j += 1
            if j < n and words[j] in self.nouns and words[j] != "x" or (j < n and words[j] == "x" and not weak):
                if self._frequency_after(words, j + 1):
                    return None
                if (
                    words[j] == "time"
                    and value != 1
                    and words[i].isdigit()
                    and i > 0
                    and words[i - 1] in ("at", "by", "about", "around", "till", "until")
                ):
                    return None  # "at 3 time" is a time of day; "3 time i call police" (a second language) is a count
                return i, end, str(value)
        return None

    def _short_answer(self, doc: Doc, words: list[str]) -> None:
        """A message that is only a number ("3", "about 5", "loads") answers "how many"."""
        content = [
            (k, w) for k, w in enumerate(words) if (not doc[k].is_punct and not doc[k].is_space) or w in ("%", "£", "$", "€", "#")
        ]
        if not content or len(content) > 6:
            return
        # drop hedges in front and "times"/"x" after
        k = 0
        while k < len(content):
            for size in (3, 2, 1):
                if tuple(w for _, w in content[k : k + size]) in self.hedges:
                    k += size
                    break
            else:
                break
        rest = content[k:]
        while rest and rest[-1][1] in self.nouns | {"ish", "or", "so", "mate", "duck", "love", "tbh", "lol", "i", "think"}:
            rest = rest[:-1]
        if not rest:
            return
        text = " ".join(w for _, w in rest)
        first, last = rest[0][0], rest[-1][0] + 1
        if text in self.many_alone or text.replace(" of times", "") in self.many_alone:
            _add_candidate(doc, first, last, "incident_count", "many")
            return
        if text in self.zero_alone:
            _add_candidate(doc, first, last, "incident_count", "0")
            return
        tokens = [w for _, w in rest]
        number = self._number_at(tokens, 0)
        if not number:
            return
        value, size, weak = number
        if weak:
            return
        j = size
        if j + 1 < len(tokens) and tokens[j] in ("or", "-", "to") and self._number_at(tokens, j + 1):
            j += 1 + self._number_at(tokens, j + 1)[1]
        if j == len(tokens):
            _add_candidate(doc, first, rest[j - 1][0] + 1, "incident_count", str(value))


@Language.factory("asbcr_context")
def make_context(nlp, name):
    return ContextRules(nlp, name)


class ContextRules(_DataComponent):
    """Decisions that need more than one phrase: danger now, staff behaviour, who is applying.

    data = {"filler": [...]} (words ignored when deciding a message is a short answer)
    """

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        clause = sentence_ids(doc)
        self._danger(doc, clause)
        self._staff(doc, clause)
        self._someone_else(doc, clause)
        return doc

    @staticmethod
    def _in(spans: list[Span], clause: list[int], number: int) -> list[Span]:
        return [s for s in spans if clause[s.start] == number]

    def _danger(self, doc: Doc, clause: list[int]) -> None:
        immediate = candidates(doc, "_immediate")
        threats = candidates(doc, "_threat")
        if not immediate and not threats:
            return
        now = candidates(doc, "_now")
        past_times = candidates(doc, "_past_time") + [d for d in candidates(doc, "date")]
        past_verbs = candidates(doc, "_past_verb")
        for span in immediate:
            c = clause[span.start]
            if self._in(past_times, clause, c):
                continue
            end = span.end
            for cue in self._in(now, clause, c):
                if 0 <= cue.start - end <= 1:
                    end = cue.end
            _add_candidate(doc, span.start, end, "danger", "true")
        for span in threats:
            c = clause[span.start]
            cues = self._in(now, clause, c)
            if not cues or self._in(past_times, clause, c) or self._in(past_verbs, clause, c):
                continue
            nearest = min(cues, key=lambda cue: min(abs(cue.start - span.end), abs(span.start - cue.end)))
            start, end = min(span.start, nearest.start), max(span.end, nearest.end)
            if end - start > 10:
                start, end = span.start, span.end
            _add_candidate(doc, start, end, "danger", "true")

    def _staff(self, doc: Doc, clause: list[int]) -> None:
        for span in candidates(doc, "_staff_cue"):
            _add_candidate(doc, span.start, span.end, "staff_conduct", "true")
        needy = candidates(doc, "_staff_only")
        if not needy:
            return
        staff = candidates(doc, "_staff_word") + candidates(doc, "organisation")
        for span in needy:
            if self._in(staff, clause, clause[span.start]):
                _add_candidate(doc, span.start, span.end, "staff_conduct", "true")

    def _someone_else(self, doc: Doc, clause: list[int]) -> None:
        for span in candidates(doc, "_someone_phrase"):
            _add_candidate(doc, span.start, span.end, "someone_else", "")
        people = candidates(doc, "_person")
        if not people:
            return
        possessive = set(self.data.get("possessive", []))
        for_ends = {s.end for s in candidates(doc, "_for")}
        victim_starts = {s.start for s in candidates(doc, "_victim_cue")}
        vulnerable = candidates(doc, "_vulnerable")
        filler = set(self.data.get("filler", []))
        content = [t.i for t in doc if not t.is_punct and not t.is_space and t.lower_ not in filler]
        for span in people:
            first = doc[span.start].lower_
            owned = first in possessive
            frail = any(v.start >= span.start and v.end <= span.end for v in vulnerable)
            short = bool(content) and all(any(p.start <= i < p.end for p in people) for i in content) and len(content) <= 8
            if span.start in for_ends or (owned and frail) or (owned and span.end in victim_starts) or short:
                _add_candidate(doc, span.start, span.end, "someone_else", "")


@Language.factory("asbcr_resolve")
def make_resolve(nlp, name):
    return Resolve(nlp, name)


class Resolve(_DataComponent):
    """Chooses doc.ents from the candidates: longest first, then LABEL_PRIORITY."""

    def __call__(self, doc: Doc) -> Doc:
        blocks = candidates(doc, "_not_a_body")
        public = [
            s
            for s in candidates(doc)
            if s.label_ in LABEL_PRIORITY
            and not (s.label_ == "organisation" and any(b.start < s.end and s.start < b.end for b in blocks))
        ]
        public.sort(key=lambda s: (-(s.end - s.start), LABEL_PRIORITY.index(s.label_), s.start))
        chosen: list[Span] = []
        for span in public:
            if all(span.end <= c.start or span.start >= c.end for c in chosen):
                chosen.append(span)
        doc.ents = sorted(chosen, key=lambda s: s.start)
        return doc
