"""durable_rules, wrapped so that one decision cannot disturb another.

durable_rules 2.0.28 has sharp edges for a service that makes many small decisions:

* its session table holds at most 1,024 live sessions per ruleset, after which every call
  fails with MemoryError;
* it is not thread-safe;
* an exception raised in a rule action is caught and written into the session state;
* facts that no rule matches raise MessageNotHandledException;
* a ruleset name can only be registered once per host.

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
* rulesets live in a module-level registry: asking for a name again returns the same one.

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

# The engine's answer to assert_fact: (code, state handle).
_HANDLED, _NOT_HANDLED, _ALREADY_OBSERVED = 0, 1, 2

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
        self._actions = {rule.name: rule.action for rule in rules}
        self._handle = _core.create_ruleset(name, json.dumps(self.definition))
        self._session_ids = itertools.count(1)
        self.decisions = 0

    def run(self, facts: dict, context: Any = None) -> Tuple[str, ...]:
        """Assert ``facts`` in a fresh session and return the names of the rules that fired,
        in firing order (lowest ``pri`` first). Each fired rule's action is called with
        ``context``. The session is deleted before this returns or raises."""
        with _LOCK:
            session_id = str(next(self._session_ids))
            message = dict(facts)
            message["sid"] = session_id
            handle = self._handle
            fired = []  # rule names, in firing order
            try:
                code, state = _core.assert_fact(handle, _compact_json(message))
                if code == _NOT_HANDLED:
                    return ()
                if code == _ALREADY_OBSERVED:  # cannot happen in a fresh session
                    raise RuleEngineError(f"ruleset {self.name!r}: facts already observed in session {session_id}")
                started = _core.start_action_for_state(handle, state)
                action_message = started[1] if started else None
                while action_message:
                    rule = self._rule_of(action_message)
                    if rule in fired:
                        # durable_rules fires a rule once per alternative of an "or" that
                        # holds; a rule either applies or not, so it counts (and acts) once.
                        action_message = _core.complete_and_start_action(handle, state)
                        continue
                    fired.append(rule)
                    action = self._actions[rule]
                    if action is not None:
                        try:
                            action(context)
                        except BaseException as error:
                            _core.abandon_action(handle, state)
                            if isinstance(error, Exception):
                                raise RuleActionError(self.name, rule, session_id, error) from error
                            raise
                    action_message = _core.complete_and_start_action(handle, state)
                return tuple(fired)
            finally:
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


def ruleset(name: str, rules: Callable[[], Iterable[Rule]]) -> Ruleset:
    """The ruleset registered under ``name``, registering it on first use.

    ``rules`` builds the rules; it is called on first use only. Asking again for the same
    name returns the same Ruleset; asking with different rule conditions is an error.
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
