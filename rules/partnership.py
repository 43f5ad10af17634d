"""Partnerships: each one's ASB Case Review policy as data, read from rules/partnerships/NAME.yml.

A partnership file holds the parameters (threshold, window, bodies whose reports count, whether
one hate incident is enough), each with its values by the date they took effect and the policy
sentence behind them, plus the partnership's contacts and every text a decision shows. Adding a
partnership is adding a file; nothing here names one. Files are checked thoroughly on loading,
so a mistake in one is reported with its place in the file, not discovered mid-conversation.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import string
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, FrozenSet, List, NamedTuple, Optional, Tuple

import yaml

from asbcr import clock
from rules import ruleset
from rules.facts import BODIES, COMPLAINED_ABOUT

log = logging.getLogger(__name__)

PARTNERSHIPS_DIR = Path(__file__).resolve().parent / "partnerships"
REQUIRED_PARAMETERS = ("threshold", "window_months", "counting_bodies", "single_hate_incident")
COMPLAINT_FIELDS = ("organisation", "procedure", "ombudsman", "ombudsman_web")

# What a text can mention. These are fixed once the partnership, the policy in force and the
# organisation complained about are known, so such sentences are prepared once, not per decision.
STATIC_VALUES = ("partnership", "policy", "contacts", "complaints", "about")
# These come from each decision; the examples are used to check the texts when a file is loaded.
DECISION_VALUES: Dict[str, Any] = {
    "as_of": "25 November 2026",
    "window_start": "25 May 2026",
    "threshold": 3,
    "qualifying": 2,
    "qualifying_phrase": "2 related incidents",
    "in_window_phrase": "2 related incidents",
    "more_needed_phrase": "1 more related incident",
    "oldest_report": "3 June 2026",
    "oldest_leaves_window": "4 December 2026",
    "more_needed_after_phrase": "2 more related incidents",
    "hate_report": "3 October 2026",
    "not_counted_phrase": "1 incident was",
    "before_window_phrase": "1 incident was",
    "private_landlord_phrase": "1 incident was",
}
# Conditions a sentence can depend on (`if:` / `unless:`).
FLAGS = ("about", "asb_stopped", "private_landlord_only", "unrelated", "not_counted", "before_window",
         "on_behalf", "consent_refused", "single_hate_incident", "oldest_leaves_soon")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_FORMATTER = string.Formatter()


class PartnershipError(ValueError):
    """An unknown partnership, or a partnership file that is not right (message says where)."""


# ---- Texts ------------------------------------------------------------------------------

class Sentence(NamedTuple):
    text: str  # a str.format template; the finished sentence when `fields` is empty
    fields: Tuple[str, ...]  # the values it mentions (left out when one of them is unknown)
    when: Optional[str] = None  # said only when this flag holds
    unless: Optional[str] = None  # said only when this flag does not hold


class Text:
    """Sentences in order; some conditional, some filled in per decision."""

    __slots__ = ("sentences", "finished")

    def __init__(self, sentences: Tuple[Sentence, ...]):
        self.sentences = sentences
        # All fixed: nothing to work out per decision (callers must not change the list).
        self.finished = ([s.text for s in sentences]
                         if all(not s.fields and s.when is None and s.unless is None for s in sentences) else None)

    def bind(self, static: Dict[str, Any]) -> "Text":
        """Prepare every sentence that needs only static values."""
        bound = []
        for sentence in self.sentences:
            if sentence.when in static:
                if not static[sentence.when]:
                    continue
                sentence = Sentence(sentence.text, sentence.fields, None, sentence.unless)
            if sentence.unless in static:
                if static[sentence.unless]:
                    continue
                sentence = Sentence(sentence.text, sentence.fields, sentence.when, None)
            if sentence.fields and all(name in static for name in sentence.fields):
                if any(static[name] is None for name in sentence.fields):
                    continue
                sentence = Sentence(sentence.text.format_map(static), (), sentence.when, sentence.unless)
            bound.append(sentence)
        return Text(tuple(bound))

    def render(self, values: Dict[str, Any]) -> List[str]:
        if self.finished is not None:
            return self.finished
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


def _parse_text(raw: Any, where: str) -> Text:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise PartnershipError(f"{where}: must be a sentence or a list of sentences")
    sentences = []
    for number, item in enumerate(items):
        place = f"{where}[{number}]"
        when = unless = None
        if isinstance(item, dict):
            unknown = set(item) - {"if", "unless", "say"}
            if unknown or "say" not in item or len(item) != 2:
                raise PartnershipError(f"{place}: a conditional sentence is {{if: CONDITION, say: TEXT}} "
                                       f"or {{unless: CONDITION, say: TEXT}}")
            when, unless, item = item.get("if"), item.get("unless"), item["say"]
            condition = when or unless
            if condition not in FLAGS:
                raise PartnershipError(f"{place}: unknown condition {condition!r}; use one of {', '.join(FLAGS)}")
        if not isinstance(item, str) or not item.strip():
            raise PartnershipError(f"{place}: must be a sentence (text)")
        try:
            fields = []
            for _, field, _, _ in _FORMATTER.parse(item):
                if field is None:
                    continue
                root = re.split(r"[.\[]", field, maxsplit=1)[0]
                if root not in STATIC_VALUES and root not in DECISION_VALUES:
                    raise PartnershipError(f"{place}: unknown value {{{field}}}; a text can mention "
                                           f"{', '.join(STATIC_VALUES + tuple(DECISION_VALUES))}")
                if root not in fields:
                    fields.append(root)
        except ValueError as error:
            if isinstance(error, PartnershipError):
                raise
            raise PartnershipError(f"{place}: {error} (write a literal brace as {{{{ or }}}})") from None
        sentences.append(Sentence(item.strip(), tuple(fields), when, unless))
    return Text(tuple(sentences))


def _namespace(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{str(key): _namespace(item) for key, item in value.items()})
    return value


# ---- The policy in force on a date --------------------------------------------------------

@dataclass(frozen=True)
class Parameter:
    name: str
    description: Optional[str]
    values: Tuple[Tuple[dt.date, Any, str], ...]  # (took effect, value or None, policy sentence), oldest first

    def entry_on(self, day: dt.date) -> Optional[Tuple[dt.date, Any, str]]:
        chosen = None
        for entry in self.values:
            if entry[0] <= day:
                chosen = entry
        return chosen


class InForce:
    """A partnership's parameters and texts as in force on one day."""

    def __init__(self, partnership: "Partnership", entries: Dict[str, Tuple[dt.date, Any, str]]):
        self.partnership = partnership
        self.entries = entries
        self.since = max(entry[0] for entry in entries.values())
        self.threshold: int = entries["threshold"][1]
        self.window_months: int = entries["window_months"][1]
        self.counting_bodies: FrozenSet[str] = frozenset(entries["counting_bodies"][1])
        self.single_hate_incident: bool = entries["single_hate_incident"][1]
        self.policy: Dict[str, str] = {name: entry[2] for name, entry in entries.items()}
        self._texts: Dict[Optional[str], "BoundTexts"] = {}
        self._lock = threading.Lock()

    def texts(self, about: Optional[str]) -> "BoundTexts":
        """The texts with everything fixed filled in, for a complaint about ``about``."""
        texts = self._texts.get(about)
        if texts is None:
            with self._lock:
                p = self.partnership
                static = {
                    "partnership": p.display_name,
                    "policy": _namespace(self.policy),
                    "contacts": p.contacts_namespace,
                    "complaints": p.complaints_namespace,
                    "about": getattr(p.complaints_namespace, about) if about else None,
                }
                texts = BoundTexts(
                    static=static,
                    reasons={rule: text.bind(static) for rule, text in p.reasons.items()},
                    summaries={route: pair[0].bind(static) for route, pair in p.outcomes.items()},
                    next_steps={route: pair[1].bind(static) for route, pair in p.outcomes.items()},
                )
                self._texts[about] = texts
        return texts


@dataclass(frozen=True)
class BoundTexts:
    static: Dict[str, Any]  # the static values, for sentences that mix them with a decision's
    reasons: Dict[str, Text]
    summaries: Dict[str, Text]
    next_steps: Dict[str, Text]


# ---- The partnership ----------------------------------------------------------------------

class Partnership:
    """One partnership's policy. The parameter attributes (threshold, window_months,
    counting_bodies, single_hate_incident, policy) give the values in force today
    (ASBCR_TODAY); use ``on(date)`` for another day."""

    def __init__(self, path: Path, data: dict, content: bytes):
        self.path = path
        self.name: str = data["name"]
        self.display_name: str = data["display_name"]
        self.full_name: str = data.get("full_name") or data["display_name"]
        self.source: Optional[str] = data.get("source")
        self.parameters: Dict[str, Parameter] = data["parameters"]
        self.contacts: Dict[str, Dict[str, str]] = data["contacts"]
        self.complaints: Dict[str, Dict[str, str]] = data["complaints"]
        self.contacts_namespace = _namespace(self.contacts)
        self.complaints_namespace = _namespace(self.complaints)
        self.reasons: Dict[str, Text] = data["reasons"]
        self.outcomes: Dict[str, Tuple[Text, Text]] = data["outcomes"]
        newest = max(entry[0] for parameter in self.parameters.values() for entry in parameter.values)
        digest = hashlib.sha256(content + ruleset.fingerprint().encode()).hexdigest()[:8]
        # Changes whenever the file or the rule conditions change; the date says which policy.
        self.version = f"{newest.isoformat()}.{digest}"
        self.took_effect: dt.date = min(entry[0] for parameter in self.parameters.values() for entry in parameter.values)
        self._in_force: Dict[dt.date, InForce] = {}
        self._periods: Dict[Tuple, InForce] = {}

    def __repr__(self) -> str:
        return f"<Partnership {self.name} {self.version}>"

    @property
    def contact(self) -> Dict[str, str]:
        """Who to contact about a case review (the community safety contact)."""
        return dict(self.contacts.get("community_safety", {}))

    def on(self, day: dt.date) -> InForce:
        """The parameters and texts in force on ``day``; PartnershipError before the policy began."""
        in_force = self._in_force.get(day)
        if in_force is None:
            entries = {name: parameter.entry_on(day) for name, parameter in self.parameters.items()}
            missing = [name for name, entry in entries.items() if entry is None]
            if missing:
                raise PartnershipError(f"{self.display_name}'s policy on {missing[0]} took effect after "
                                       f"{day.isoformat()}, so there is no policy to apply on that day")
            period = tuple(entry[0] for entry in entries.values())
            in_force = self._periods.get(period)
            if in_force is None:
                in_force = self._periods.setdefault(period, InForce(self, entries))
            if len(self._in_force) > 10_000:  # many distinct days in one process: start again
                self._in_force.clear()
            self._in_force[day] = in_force
        return in_force

    @property
    def threshold(self) -> int:
        return self.on(clock.today()).threshold

    @property
    def window_months(self) -> int:
        return self.on(clock.today()).window_months

    @property
    def counting_bodies(self) -> List[str]:
        return [body for body in BODIES if body in self.on(clock.today()).counting_bodies]

    @property
    def single_hate_incident(self) -> bool:
        return self.on(clock.today()).single_hate_incident

    @property
    def policy(self) -> Dict[str, str]:
        """Every policy sentence in force today, by parameter name."""
        return dict(self.on(clock.today()).policy)


# ---- Loading ------------------------------------------------------------------------------

_cache: Dict[Tuple[str, str], Tuple[Tuple[int, int], Partnership]] = {}
_recent: Dict[str, Tuple[float, Partnership]] = {}
RECHECK_SECONDS = 1.0  # how often decide() looks whether a partnership file has changed


def partnerships(directory: Optional[Path] = None) -> List[str]:
    """The names of the partnerships available (one file each)."""
    folder = Path(directory) if directory else PARTNERSHIPS_DIR
    return sorted(path.stem for path in folder.glob("*.yml") if _NAME.match(path.stem))


def load_partnership(name: str, directory: Optional[Path] = None) -> Partnership:
    """The partnership called ``name``, from NAME.yml (re-read when the file changes)."""
    if directory is None and isinstance(name, str):
        recent = _recent.get(name)  # decide() asks for every decision: look at the file once a second
        now = time.monotonic()
        if recent is not None and now < recent[0]:
            return recent[1]
        partnership = _load(name, PARTNERSHIPS_DIR)
        _recent[name] = (now + RECHECK_SECONDS, partnership)
        return partnership
    return _load(name, Path(directory))


def _load(name: str, folder: Path) -> Partnership:
    if not isinstance(name, str) or not _NAME.match(name):
        raise PartnershipError(f"{name!r} is not a partnership name (lower-case letters, digits, - and _)")
    path = folder / f"{name}.yml"
    try:
        status = path.stat()
    except OSError:
        available = ", ".join(partnerships(folder)) or "none"
        raise PartnershipError(f"unknown partnership {name!r} (available: {available})") from None
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _cache.get((str(folder), name))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    content = path.read_bytes()
    try:
        partnership = Partnership(path, _checked(name, path, content), content)
    except PartnershipError as error:
        if cached is None:
            raise
        # Edited into something broken while the service runs: keep deciding with the last
        # good version rather than failing every conversation; say so loudly.
        log.error("%s; still using %s version %s", error, name, cached[1].version)
        _cache[(str(folder), name)] = (stamp, cached[1])
        return cached[1]
    _cache[(str(folder), name)] = (stamp, partnership)
    return partnership


def _checked(name: str, path: Path, content: bytes) -> dict:
    """The file's data, checked and converted; PartnershipError says what is wrong and where."""
    where = path.name
    try:
        data = yaml.load(content, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise PartnershipError(f"{where}: not valid YAML{at}: {problem}") from None
    except ValueError as error:  # a date such as 2014-13-20 that YAML cannot make a date of
        raise PartnershipError(f"{where}: a date in the file is not a date ({error})") from None
    if not isinstance(data, dict):
        raise PartnershipError(f"{where}: must be a mapping of keys (name, display_name, parameters, ...)")
    for key in ("name", "display_name", "parameters", "contacts", "complaints", "reasons", "outcomes"):
        if key not in data:
            raise PartnershipError(f"{where}: missing {key}")
    if data["name"] != name:
        raise PartnershipError(f"{where}: name is {data['name']!r} but the file is called {name}.yml")
    for key in ("display_name", "full_name", "source"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise PartnershipError(f"{where}: {key} must be text")

    parameters = _parameters(data["parameters"], where)
    contacts = _contacts(data["contacts"], where)
    complaints = _complaints(data["complaints"], where)
    reasons, outcomes = _texts(data, parameters, where)
    checked = dict(data, parameters=parameters, contacts=contacts, complaints=complaints,
                   reasons=reasons, outcomes=outcomes)
    _try_every_text(checked, where)
    return checked


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PartnershipError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _parameters(raw: Any, where: str) -> Dict[str, Parameter]:
    if not isinstance(raw, dict):
        raise PartnershipError(f"{where}: parameters must be a mapping")
    wanted_policies = {name for rule in ruleset.RULES for name in rule.policy}
    for name in REQUIRED_PARAMETERS + tuple(sorted(wanted_policies)):
        if name not in raw:
            raise PartnershipError(f"{where}: parameters.{name} is missing")
    parameters = {}
    for name, spec in raw.items():
        place = f"{where}: parameters.{name}"
        if not isinstance(spec, dict) or not isinstance(spec.get("values"), dict) or not spec["values"]:
            raise PartnershipError(f"{place}: needs values, by the date each took effect")
        values = []
        for since, entry in spec["values"].items():
            since = _as_date(since, f"{place}.values")
            at = f"{place}.values.{since.isoformat()}"
            if not isinstance(entry, dict) or not isinstance(entry.get("policy"), str) or not entry["policy"].strip():
                raise PartnershipError(f"{at}: needs the policy sentence it comes from (policy: ...)")
            value = entry.get("value")
            if name in REQUIRED_PARAMETERS:
                value = _parameter_value(name, value, at)
            values.append((since, value, " ".join(entry["policy"].split())))
        values.sort(key=lambda entry: entry[0])
        parameters[name] = Parameter(name, spec.get("description"), tuple(values))
    return parameters


def _parameter_value(name: str, value: Any, where: str) -> Any:
    if name == "threshold":
        if value.__class__ is not int or value < 1:
            raise PartnershipError(f"{where}: the threshold must be a whole number of incidents, 1 or more")
    elif name == "window_months":
        if value.__class__ is not int or not 1 <= value <= 120:
            raise PartnershipError(f"{where}: the window must be a whole number of months, 1 to 120")
    elif name == "counting_bodies":
        if not isinstance(value, list) or not value or any(body not in BODIES for body in value):
            raise PartnershipError(f"{where}: counting_bodies must list bodies among {', '.join(BODIES)}")
        value = tuple(value)
    elif name == "single_hate_incident":
        if value.__class__ is not bool:
            raise PartnershipError(f"{where}: single_hate_incident must be true or false")
    return value


def _contacts(raw: Any, where: str) -> Dict[str, Dict[str, str]]:
    if not isinstance(raw, dict):
        raise PartnershipError(f"{where}: contacts must be a mapping of contacts")
    contacts = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not all(isinstance(v, (str, int)) for v in entry.values()):
            raise PartnershipError(f"{where}: contacts.{key} must be a mapping of texts (name, phone, web...)")
        contacts[str(key)] = {str(k): str(v) for k, v in entry.items()}
    return contacts


def _complaints(raw: Any, where: str) -> Dict[str, Dict[str, str]]:
    if not isinstance(raw, dict):
        raise PartnershipError(f"{where}: complaints must be a mapping")
    for organisation in COMPLAINED_ABOUT:
        entry = raw.get(organisation)
        if not isinstance(entry, dict) or any(not isinstance(entry.get(f), str) for f in COMPLAINT_FIELDS):
            raise PartnershipError(f"{where}: complaints.{organisation} needs {', '.join(COMPLAINT_FIELDS)}")
    return {str(key): {str(k): str(v) for k, v in entry.items()} for key, entry in raw.items()}


def _texts(data: dict, parameters: Dict[str, Parameter], where: str):
    raw_reasons, raw_outcomes = data["reasons"], data["outcomes"]
    if not isinstance(raw_reasons, dict) or not isinstance(raw_outcomes, dict):
        raise PartnershipError(f"{where}: reasons and outcomes must be mappings")
    reasons = {}
    for rule in ruleset.RULES:
        if rule.name not in raw_reasons:
            raise PartnershipError(f"{where}: reasons.{rule.name} is missing (what the rule found, in words)")
        text = _parse_text(raw_reasons[rule.name], f"{where}: reasons.{rule.name}")
        quoted = {field.split(".")[1] for s in text.sentences for _, field, _, _ in _FORMATTER.parse(s.text)
                  if field and field.startswith("policy.")}
        for name in rule.policy:
            if name not in quoted:
                raise PartnershipError(f"{where}: reasons.{rule.name} must quote its policy sentence {{policy.{name}}}")
        for name in quoted - set(parameters):
            raise PartnershipError(f"{where}: reasons.{rule.name} quotes {{policy.{name}}}, which is not a parameter")
        reasons[rule.name] = text
    for name in set(raw_reasons) - set(reasons):
        raise PartnershipError(f"{where}: reasons.{name} is not a rule (rules: {', '.join(r.name for r in ruleset.RULES)})")
    outcomes = {}
    for route in ruleset.ROUTES:
        entry = raw_outcomes.get(route)
        if not isinstance(entry, dict) or "summary" not in entry or "next_steps" not in entry:
            raise PartnershipError(f"{where}: outcomes.{route} needs a summary and next_steps")
        outcomes[route] = (_parse_text(entry["summary"], f"{where}: outcomes.{route}.summary"),
                           _parse_text(entry["next_steps"], f"{where}: outcomes.{route}.next_steps"))
    for name in set(raw_outcomes) - set(outcomes):
        raise PartnershipError(f"{where}: outcomes.{name} is not a route ({', '.join(ruleset.ROUTES)})")
    return reasons, outcomes


def _try_every_text(data: dict, where: str) -> None:
    """Fill every sentence with example values, so a misspelt {contacts.pcc.nmae} shows now."""
    policy = {name: parameter.values[-1][2] for name, parameter in data["parameters"].items()}
    complaints = _namespace(data["complaints"])
    values = dict(DECISION_VALUES, partnership=data["display_name"], policy=_namespace(policy),
                  contacts=_namespace(data["contacts"]), complaints=complaints, about=complaints.council)
    texts = [(f"reasons.{rule}", text) for rule, text in data["reasons"].items()]
    texts += [(f"outcomes.{route}", text) for route, pair in data["outcomes"].items() for text in pair]
    for place, text in texts:
        for sentence in text.sentences:
            try:
                sentence.text.format_map(values)
            except (AttributeError, KeyError, IndexError, ValueError, TypeError) as error:
                raise PartnershipError(f"{where}: {place}: cannot fill in {sentence.text!r} ({error})") from None
