"""durable_rules, wrapped so that one decision cannot disturb another.

durable_rules 2.0.28 has sharp edges for a service that makes many small decisions:

* its session table holds at most 1,024 live sessions per ruleset, after which every call
  fails with MemoryError;
* it is not thread-safe;
* an exception raised in a rule action is caught and written into the session state;
* facts that no rule matches raise MessageNotHandledException;
* a ruleset name can only be registered once per host;
* a fact that a condition needs but is missing, null, or of another type than the value it is
  compared with crashes the whole process (segmentation fault), not just the decision.

So this module drives the compiled engine (``durable_rules_engine``, the same calls that
``durable.engine`` makes) one decision at a time:

* each run gets a fresh session id, and that session's state is deleted afterwards,
  whatever happens;
* one process-wide lock is held for the whole run;
* rule actions run here, in firing order, so an exception in one is raised as
  RuleActionError naming the rule;
* facts that no rule matches give an empty result, never MessageNotHandledException;
* a rule fires (and acts) at most once per run, even when several alternatives of an "or"
  in its condition hold;
* rulesets live in a module-level registry: asking for a name again returns the same one;
* before a run, every fact a condition mentions is checked to be present and of the type the
  condition compares it with (true/false, a number, text); if not, RuleEngineError, never a crash.

Rules are written with durable_rules' own condition language (``durable.lang.m``); see
rules/ruleset.py. Why we drive the engine directly rather than through durable.lang's Host:
docs/decisions/0002-driving-durable-rules.md.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

import durable_rules_engine as _core

# The engine's answer to assert_fact: (code, state handle); 0 is "taken".
_HANDLED = 0
_FINISHED = "_finished"  # the engine's last rule, matching every fact; never reported

_LOCK = threading.Lock()
_REGISTRY: Dict[str, "Ruleset"] = {}
_RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class RuleEngineError(RuntimeError):
    """The rule engine could not reach a result. Always a fault in the rules or the engine,
    never in the case facts."""


class RuleActionError(RuleEngineError):
    """A rule's action raised an exception; the original is the ``__cause__``."""

    def __init__(self, ruleset: str, rule: str, session_id: str, error: BaseException):
        super().__init__(f"rule {rule!r} of ruleset {ruleset!r} failed: {type(error).__name__}: {error}")
        self.ruleset = ruleset
        self.rule = rule
        self.session_id = session_id


@dataclass(frozen=True)
class Rule:
    """One rule: a condition on the facts (a durable.lang expression over ``m``, or its JSON
    form), a salience (lower fires first) and an optional action run when it fires."""

    name: str
    when: Any
    pri: int
    action: Optional[Callable[[Any], None]] = None

    def definition(self) -> dict:
        condition = self.when.define() if hasattr(self.when, "define") else self.when
        return {"all": [{"m": condition}], "pri": self.pri}


class Ruleset:
    """A registered durable_rules ruleset. Get one with ``ruleset()``, not directly."""

    def __init__(self, name: str, rules: Iterable[Rule]):
        rules = tuple(rules)
        for rule in rules:
            if not _RULE_NAME.match(rule.name):
                raise ValueError(f"rule name {rule.name!r}: use lower-case letters, digits and _")
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names):
            raise ValueError(f"ruleset {name!r} names a rule twice")
        self.name = name
        self.rules = rules
        self.definition = {rule.name: rule.definition() for rule in rules}
        self.fact_kinds = _fact_kinds(self.definition)
        self._checks = tuple(self.fact_kinds.items())
        self._checked_names = tuple(self.fact_kinds)
        self._safe_types: set = set()  # tuples of the facts' types already found safe
        self._actions = {rule.name: rule.action for rule in rules}
        # Facts that no rule matches leave the engine in a state that delete_state() can
        # corrupt the heap from ("double free"), so one last rule matches every fact.
        last = max((rule.pri for rule in rules), default=0) + 1
        engine_definition = dict(self.definition)
        engine_definition[_FINISHED] = {"all": [{"m": {"$and": [{"$ex": {"sid": 1}}, {"$nex": {"$s": 1}}]}}], "pri": last}
        self._actions[_FINISHED] = None
        self._handle = _core.create_ruleset(name, json.dumps(engine_definition))
        self._session_ids = itertools.count(1)
        self.decisions = 0

    def run(self, facts: dict, context: Any = None) -> Tuple[str, ...]:
        """Assert ``facts`` in a fresh session and return the names of the rules that fired,
        in firing order (lowest ``pri`` first). Each fired rule's action is called with
        ``context``; actions run under the engine lock, so they must not run rules themselves.
        The session is deleted before this returns or raises."""
        types = tuple(map(type, map(facts.get, self._checked_names)))
        if types not in self._safe_types:
            for name, kind in self._checks:
                value = facts.get(name)
                if _KIND_OF.get(value.__class__) is not kind and (kind is not _ANY or value is None):
                    raise RuleEngineError(f"ruleset {self.name!r}: fact {name!r} must be {_KIND_WORDS[kind]}, not {value!r}")
            if len(self._safe_types) < 1000:
                self._safe_types.add(types)
        with _LOCK:
            session_id = str(next(self._session_ids))
            message = dict(facts)
            message["sid"] = session_id
            handle = self._handle
            fired = []  # rule names, in firing order
            code = None
            try:
                code, state = _core.assert_fact(handle, _compact_json(message))
                if code != _HANDLED:  # cannot happen: the last rule matches every fact
                    raise RuleEngineError(f"ruleset {self.name!r}: the engine did not take the facts (code {code})")
                started = _core.start_action_for_state(handle, state)
                action_message = started[1] if started else None
                failure = None
                while action_message:
                    rule = self._rule_of(action_message)
                    # durable_rules fires a rule once per alternative of an "or" that holds;
                    # a rule either applies or not, so it counts (and acts) once.
                    if failure is None and rule not in fired and rule != _FINISHED:
                        fired.append(rule)
                        action = self._actions[rule]
                        if action is not None:
                            try:
                                action(context)
                            except BaseException as error:  # raised below, once the engine is done
                                failure = (rule, error)
                    # After a failure the remaining rules are completed without acting: the
                    # engine's abandon_action() path can corrupt its heap like an unmatched fact.
                    action_message = _core.complete_and_start_action(handle, state)
                if failure is not None:
                    rule, error = failure
                    if isinstance(error, Exception):
                        raise RuleActionError(self.name, rule, session_id, error) from error
                    raise error
                return tuple(fired)
            finally:
                if code == _HANDLED:
                    _core.delete_state(handle, session_id)
                self.decisions += 1

    def _rule_of(self, action_message: str) -> str:
        # The engine hands over '{"<rule name>":{"m":{...facts...}}}'. Rule names are plain
        # identifiers, so the name is the first quoted string; parse in full only if not.
        end = action_message.find('"', 2)
        rule = action_message[2:end]
        if rule not in self._actions:
            rule = next(iter(json.loads(action_message)))
        return rule

    def session_exists(self, session_id: str) -> bool:
        """Whether the engine still holds state for this session (tests prove none is left)."""
        with _LOCK:
            try:
                _core.get_state(self._handle, session_id)
            except _core.error:
                return False
            return True


_BOOL, _NUMBER, _TEXT, _ANY = "bool", "number", "text", "any"
_KIND_OF = {bool: _BOOL, int: _NUMBER, float: _NUMBER, str: _TEXT}
_KIND_WORDS = {_BOOL: "true or false", _NUMBER: "a number", _TEXT: "text", _ANY: "present (not null)"}
_COMPARISONS = ("$lt", "$lte", "$gt", "$gte", "$neq")


def _fact_kinds(definition: dict) -> Dict[str, str]:
    """Each fact the conditions read, with the kind of value it is compared with."""
    kinds: Dict[str, str] = {}

    def note(name: str, value: Any) -> None:
        if isinstance(value, dict) and "$m" in value:  # compared with another fact
            kind = _ANY
            note(value["$m"], None)
        else:
            kind = _KIND_OF.get(value.__class__, _ANY) if value is not None else _ANY
        if kinds.get(name, _ANY) is _ANY:
            kinds[name] = kind
        elif kind is not _ANY and kinds[name] is not kind:
            raise ValueError(f"fact {name!r} is compared with values of different kinds")

    def walk(condition: dict) -> None:
        for key, value in condition.items():
            if key in ("$and", "$or"):
                for part in value:
                    walk(part)
            elif key in _COMPARISONS:
                for name, compared in value.items():
                    note(name, compared)
            elif key in ("$ex", "$nex"):
                continue
            elif key.startswith("$"):
                raise ValueError(f"condition {key} is not supported by rules/engine.py")
            else:
                note(key, value)

    for rule in definition.values():
        for clause in rule["all"]:
            walk(clause["m"])
    return kinds


def ruleset(name: str, rules: Callable[[], Iterable[Rule]]) -> Ruleset:
    """The ruleset registered under ``name``, registering it on first use.

    ``rules`` builds the rules. Asking again for the same name returns the same Ruleset
    (``rules`` is called again only to check that they are the same); asking with different
    rule conditions is an error, since durable_rules cannot replace a registered ruleset.
    """
    with _LOCK:
        existing = _REGISTRY.get(name)
        if existing is None:
            _REGISTRY[name] = existing = Ruleset(name, rules())
            return existing
    wanted = {rule.name: rule.definition() for rule in rules()}
    if wanted != existing.definition:
        raise RuleEngineError(f"ruleset {name!r} is already registered with different rules")
    return existing


def registered() -> Tuple[str, ...]:
    with _LOCK:
        return tuple(_REGISTRY)
