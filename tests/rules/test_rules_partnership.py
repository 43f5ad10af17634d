"""Partnership files: the policy as data, checked on loading, a new one needs no code."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import yaml

from rules import CaseFactsError, PartnershipError, decide, load_partnership, partnerships
from rules.partnership import PARTNERSHIPS_DIR
from rules.ruleset import RULES
from rules_case_table import TODAY
from rules_case_table import load as load_table

EREWASH_FILE = (PARTNERSHIPS_DIR / "erewash.yml").read_text(encoding="utf-8")


def test_erewash_policy_as_published():
    erewash = load_partnership("erewash")
    assert erewash.name == "erewash"
    assert erewash.display_name == "Erewash"
    policy = erewash.on(TODAY)
    assert policy.threshold == 3
    assert policy.window_months == 6
    assert policy.counting_bodies == {"council", "police", "social_landlord", "health"}
    assert policy.single_hate_incident is False
    assert erewash.contact == {
        "name": "Community Safety Officer",
        "role": "Community Safety Officer",
        "organisation": "Erewash Community Safety Partnership",
        "address": "Ilkeston Town Hall, Derbyshire DE7 5RP",
        "phone": "0115 907 2274",
        "web": "https://www.erewash.gov.uk",
    }
    assert policy.policy["threshold"] == (
        "Erewash's threshold is three or more related incidents of ASB reported within the last six months."
    )
    assert "a private landlord does not" in policy.policy["counting_bodies"]
    assert policy.policy["appeal"] == "Appeals go to the Office of the Police and Crime Commissioner for Derbyshire."
    assert policy.references["threshold"].startswith(
        "https://www.erewash.gov.uk/community-safety-section/anti-social-behaviour-case-review.html"
    )
    # The page's promise, "What happens when I submit a Anti-Social Behaviour Case Review Form?".
    assert policy.acknowledgement_working_days == 5
    assert policy.policy["acknowledgement_working_days"] == (
        "We will confirm receipt of a completed Anti-Social Behaviour Case Review Application Form, within five working days."
    )
    assert "What happens when I submit" in policy.references["acknowledgement_working_days"]


def test_every_parameter_carries_its_policy_sentence_its_reference_and_the_date_it_took_effect():
    for name in partnerships():
        for parameter in load_partnership(name).parameters.values():
            assert parameter.values, parameter.name
            for took_effect, _value, policy, reference in parameter.values:
                assert isinstance(took_effect, dt.date)
                assert policy.endswith(".") and len(policy) > 20, (name, parameter.name)
                assert len(reference) > 10, (name, parameter.name)


def test_reasons_cite_where_their_policy_sentences_are_published():
    decision = decide({"as_of": "2026-11-25", "incidents": [{"date": "2026-10-01", "reported_to": ["police"]}]}, "erewash", TODAY)
    policy = load_partnership("erewash").on(TODAY)
    assert decision["reasons"][0]["rule"] == "threshold_not_met"
    assert decision["reasons"][0]["references"] == [policy.references["threshold"]]
    trace = decide({"as_of": "2026-11-25", "emergency": True}, "erewash", TODAY, explain=True)["trace"]
    assert any(line.startswith("Rule 1 emergency") and policy.references["emergency"] in line for line in trace)


def test_every_rule_has_a_reason_quoting_its_policy():
    for name in partnerships():
        partnership = load_partnership(name)
        for rule in RULES:
            text = " ".join(sentence.text for sentence in partnership.texts.reasons[rule.name].sentences)
            for policy in rule.policy:
                assert "{policy.%s}" % policy in text


def test_available_partnerships():
    assert partnerships() == ["erewash", "testshire"]


def test_version_is_the_policy_date_and_a_hash_of_the_file():
    assert re.fullmatch(r"2014-10-20\.[0-9a-f]{8}", load_partnership("erewash").version)
    assert re.fullmatch(r"2026-04-01\.[0-9a-f]{8}", load_partnership("testshire").version)  # its latest change
    decision = decide({"as_of": "2026-11-25"}, "testshire", TODAY)
    assert decision["rule_set"] == {"name": "testshire", "version": load_partnership("testshire").version}


def test_version_changes_when_the_file_changes(tmp_path):
    shutil.copy(PARTNERSHIPS_DIR / "erewash.yml", tmp_path / "erewash.yml")
    original = load_partnership("erewash", directory=tmp_path)
    assert original.version == load_partnership("erewash").version
    assert load_partnership("erewash", directory=tmp_path) is original  # unchanged: not re-read

    (tmp_path / "erewash.yml").write_text(EREWASH_FILE.replace("Call 999 now.", "Call 999 straight away."), encoding="utf-8")
    changed = load_partnership("erewash", directory=tmp_path)
    assert changed.version != original.version
    assert changed.version.startswith("2014-10-20.")
    assert any(
        "Call 999 straight away." in step
        for step in decide({"as_of": "2026-11-25", "emergency": True}, changed, TODAY)["next_steps"]
    )


def test_a_new_partnership_is_a_file_not_code(tmp_path):
    text = (PARTNERSHIPS_DIR / "testshire.yml").read_text(encoding="utf-8")
    text = text.replace("name: testshire", "name: newtown").replace("display_name: Testshire", "display_name: Newtown")
    # Newtown counts reports over twelve months: wider than the law's six, so allowed.
    text = text.replace(
        "        value: 6\n        policy: Incidents count when they were reported within the last six months.",
        "        value: 12\n        policy: Incidents count when they were reported within the last twelve months.",
    )
    text = text.replace(
        "policy: Testshire's threshold is two or more related incidents of ASB reported within the last six months.",
        "policy: Newtown's threshold is two or more related incidents of ASB reported within the last twelve months.",
    )
    (tmp_path / "newtown.yml").write_text(text, encoding="utf-8")
    assert partnerships(tmp_path) == ["newtown"]
    newtown = load_partnership("newtown", directory=tmp_path)
    assert newtown.on(TODAY).window_months == 12
    facts = {"as_of": "2026-11-25", "incidents": [{"date": "2026-01-10", "reported_to": ["police"]}]}
    decision = decide(facts, newtown, TODAY)
    assert decision["outcome"] == "threshold_not_met"
    assert decision["window_start"] == "2025-11-25"
    assert "Newtown's threshold is two" in decision["reasons"][0]["text"]
    assert decision["rule_set"]["name"] == "newtown"
    facts["incidents"].append({"date": "2026-02-01", "reported_to": ["council"]})
    decision = decide(facts, newtown, TODAY)
    assert decision["outcome"] == "apply"
    assert decision["threshold_met_by"] == "partnership_rule"  # both happened more than six months ago


def test_the_value_in_force_on_the_day_applies():
    testshire = load_partnership("testshire")
    assert testshire.on(dt.date(2025, 3, 31)).threshold == 3
    assert testshire.on(dt.date(2025, 3, 31)).single_hate_incident is False
    assert testshire.on(dt.date(2025, 4, 1)).threshold == 2
    assert testshire.on(dt.date(2025, 4, 1)).single_hate_incident is True
    assert testshire.on(TODAY).threshold == 2
    assert testshire.on(dt.date(2026, 3, 31)).acknowledgement_working_days == 5
    assert testshire.on(dt.date(2026, 4, 1)).acknowledgement_working_days == 3
    assert testshire.on(dt.date(2026, 4, 1)).threshold == 2  # a later change to one parameter keeps the others
    with pytest.raises(PartnershipError, match="took effect after 2014-10-19"):
        testshire.on(dt.date(2014, 10, 19))


def test_unknown_partnerships():
    with pytest.raises(PartnershipError, match=r"unknown partnership 'nowhere' \(available: erewash, testshire\)"):
        load_partnership("nowhere")
    with pytest.raises(PartnershipError, match="not a partnership name"):
        load_partnership("../erewash")
    with pytest.raises(PartnershipError):
        decide({}, "nowhere", TODAY)


def test_a_decision_before_the_policy_began_names_as_of():
    with pytest.raises(CaseFactsError) as caught:
        decide({"as_of": "2014-10-19"}, "erewash", TODAY)
    assert caught.value.key == "as_of"


BROKEN = [
    ("        value: 3\n", "        value: 0\n", "the threshold must be a whole number of incidents, 1 or more"),
    ("        value: 6\n", "        value: six\n", "the window must be a whole number of months"),
    ("value: [council, police, social_landlord, health]", "value: [council, landlord]", "counting_bodies must list bodies among"),
    ("{contacts.pcc.web}", "{contacts.pcc.website}", "outcomes.appeal: cannot fill in"),
    ("{qualifying_phrase} since", "{qualifyng_phrase} since", "unknown value {qualifyng_phrase}"),
    (
        "  emergency:\n    - You told us someone is in immediate danger now.\n    - \"{policy.emergency}\"\n",
        "",
        "reasons.emergency is missing",
    ),
    ("    - \"{policy.appeal}\"\n", "", "reasons.previous_review must quote its policy sentence {policy.appeal}"),
    ("if: asb_stopped", "if: asb_has_stopped", "unknown condition 'asb_has_stopped'"),
    ("name: erewash", "name: [erewash", "not valid YAML at line"),
    ("name: erewash", "name: erewash2", "name is 'erewash2' but the file is called erewash.yml"),
    ("        policy: Appeals go to", "        says: Appeals go to", "parameters.appeal.values.2014-10-20.policy is missing"),
    (
        "        reference: 'Anti-social Behaviour, Crime and Policing Act 2014, s.104'\n",
        "",
        "parameters.purpose.values.2014-10-20.reference is missing: each dated value needs the policy sentence",
    ),
    ("      2014-10-20:\n        value: 3\n", "      2014-13-20:\n        value: 3\n", "not a date"),
    ("  emergency:\n    title:", "  emergencies:\n    title:", "outcomes.emergency needs a title, a summary and next_steps"),
    ("    title: Call 999 now\n", "", "outcomes.emergency.title is missing: an outcome has a title, a summary and next_steps"),
    (
        "  reported_on: each incident was reported on the day it happened\n",
        "",
        "assumed.reported_on is missing: say what its default means",
    ),
    (
        "  asb_ongoing: the behaviour is still going on\n",
        "  asb_continuing: the behaviour is still going on\n",
        "assumed.asb_continuing is not a default a decision can rely on",
    ),
    ("  health: health services\n", "", "bodies.health is missing: bodies names each organisation"),
    ("Call 999 now.", "Call {999 now.", "write a literal brace as {{ or }}"),
    (
        "    ombudsman_web: https://www.policeconduct.gov.uk\n",
        "",
        "complaints.police.ombudsman_web is missing: a complaint needs organisation, procedure, ombudsman, ombudsman_web",
    ),
    ("  threshold:\n    description:", "  limit:\n    description:", "parameters.threshold is missing"),
    ("        value: 5\n", "        value: 0\n", "acknowledgement_working_days must be a whole number of working days, 1 to 20"),
    ("        value: 5\n", "        value: 5.5\n", "acknowledgement_working_days must be a whole number of working days"),
    ("        value: 5\n", "", "parameters.acknowledgement_working_days.values.2014-10-20.value is missing"),
    ("  acknowledgement_working_days:\n", "  acknowledgement_days:\n", "parameters.acknowledgement_working_days is missing"),
    (
        "      - \"{policy.acknowledgement_working_days}\"\n",
        "      - We will confirm receipt of your application within five working days.\n",
        "outcomes.apply.next_steps must quote {policy.acknowledgement_working_days}",
    ),
]


@pytest.mark.parametrize("old,new,says", BROKEN, ids=[says[:40] for _, _, says in BROKEN])
def test_a_broken_partnership_file_says_what_and_where(tmp_path, old, new, says):
    assert old in EREWASH_FILE
    (tmp_path / "erewash.yml").write_text(EREWASH_FILE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PartnershipError) as caught:
        load_partnership("erewash", directory=tmp_path)
    assert says in str(caught.value)
    assert str(caught.value).startswith("erewash.yml")
    assert "\n" not in str(caught.value)


def test_every_value_a_text_can_mention_is_worked_out_by_the_decision():
    from rules.decision import _TEXT_VALUES
    from rules.schema import DECISION_VALUES, FLAGS

    assert set(_TEXT_VALUES) == set(DECISION_VALUES) | set(FLAGS)


def test_a_sentence_can_mix_fixed_and_per_decision_values(tmp_path):
    mixed = "{partnership} needs {more_needed_phrase}; call {contacts.police.phone} or see {contacts.council.web}."
    text = EREWASH_FILE.replace("    - You need {more_needed_phrase} to reach the threshold.\n", f"    - \"{mixed}\"\n")
    (tmp_path / "erewash.yml").write_text(text, encoding="utf-8")
    partnership = load_partnership("erewash", directory=tmp_path)
    decision = decide(
        {"as_of": "2026-11-25", "incidents": [{"date": "2026-10-01", "reported_to": ["police"]}]}, partnership, TODAY
    )
    assert "Erewash needs 2 more related incidents; call 101 or see https://www.erewash.gov.uk." in decision["reasons"][0]["text"]


def test_a_file_broken_while_running_keeps_the_last_good_version(tmp_path, caplog):
    path = tmp_path / "erewash.yml"
    path.write_text(EREWASH_FILE, encoding="utf-8")
    good = load_partnership("erewash", directory=tmp_path)
    path.write_text(EREWASH_FILE.replace("        value: 3\n", "        value: three\n", 1), encoding="utf-8")
    with caplog.at_level("ERROR", logger="rules.partnership"):
        assert load_partnership("erewash", directory=tmp_path) is good
    assert "the threshold must be a whole number" in caplog.text
    assert f"still using erewash version {good.version}" in caplog.text
    path.write_text(EREWASH_FILE.replace("Call 999 now.", "Call 999."), encoding="utf-8")
    assert load_partnership("erewash", directory=tmp_path).version != good.version


@pytest.mark.parametrize("case", load_table("partnership_files.yml"), ids=lambda case: case["case"])
def test_the_law_sets_a_floor_no_partnership_file_can_move(tmp_path, case):
    name = case["partnership"]
    data = yaml.safe_load((PARTNERSHIPS_DIR / f"{name}.yml").read_text(encoding="utf-8"))
    values = data["parameters"][case["parameter"]]["values"]
    since = dt.date.fromisoformat(case["from"])
    latest = values[max(values)]
    values[since] = dict(latest, value=case["value"])
    (tmp_path / f"{name}.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if "refused" not in case:
        assert load_partnership(name, directory=tmp_path).on(since).entries[case["parameter"]].value == case["value"]
        return
    with pytest.raises(PartnershipError) as caught:
        load_partnership(name, directory=tmp_path)
    for phrase in case["refused"]:
        assert phrase in str(caught.value)


def test_dated_values_are_listed_oldest_first(tmp_path):
    data = yaml.safe_load((PARTNERSHIPS_DIR / "testshire.yml").read_text(encoding="utf-8"))
    values = data["parameters"]["threshold"]["values"]
    data["parameters"]["threshold"]["values"] = dict(reversed(list(values.items())))
    (tmp_path / "testshire.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(
        PartnershipError,
        match=r"testshire.yml: parameters.threshold.values.2014-10-20: listed after "
        r"2025-04-01; list the values oldest first",
    ):
        load_partnership("testshire", directory=tmp_path)


def test_the_schema_names_the_bodies_and_organisations_the_case_facts_know():
    import json

    from rules.facts import BODIES, COMPLAINED_ABOUT
    from rules.schema import SCHEMA_PATH

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    definitions = schema["definitions"]
    bodies = definitions["counting_bodies_values"]["properties"]["values"]["additionalProperties"]
    assert bodies["properties"]["value"]["items"]["enum"] == list(BODIES)
    assert schema["properties"]["complaints"]["required"] == list(COMPLAINED_ABOUT)


def test_a_decision_carries_its_display_words_from_the_partnership_file(tmp_path):
    text = (
        EREWASH_FILE.replace("    title: You cannot ask for a case review yet\n", "    title: Not yet\n")
        .replace(
            "  reported_on: each incident was reported on the day it happened\n",
            "  reported_on: the report date is the day of the incident\n",
        )
        .replace("  police: the police\n", "  police: the constabulary\n")
    )
    (tmp_path / "erewash.yml").write_text(text, encoding="utf-8")
    decision = decide(
        {
            "as_of": "2026-11-25",
            "emergency": False,
            "asb_ongoing": True,
            "incidents": [{"date": "2026-10-01", "reported_to": ["police"]}],
        },
        load_partnership("erewash", directory=tmp_path),
        TODAY,
    )
    assert decision["outcome"] == "threshold_not_met"
    words = decision["words"]
    assert words["title"] == "Not yet"
    # One sentence for each default the decision relied on, keyed as `assumed` names it.
    assert list(words["assumed"]) == decision["assumed"]
    assert words["assumed"]["incidents[0].reported_on"] == "the report date is the day of the incident"
    assert words["bodies"]["police"] == "the constabulary"
    trace = decide(
        {"as_of": "2026-11-25", "incidents": [{"date": "2026-10-01", "reported_to": ["police"]}]},
        load_partnership("erewash", directory=tmp_path),
        TODAY,
        explain=True,
    )["trace"]
    assert any("reported to the constabulary on 1 October 2026" in line for line in trace)


def test_every_default_has_its_words_in_every_partnership():
    from rules import partnerships
    from rules.facts import INCIDENT_DEFAULTS, TOP_LEVEL_KEYS

    facts = {"as_of": "2026-11-25", "incidents": [{"date": "2026-10-01"}, {"date": "2026-10-03"}]}
    for name in partnerships():
        partnership = load_partnership(name)
        words = partnership.words("apply", list(TOP_LEVEL_KEYS) + [f"incidents[1].{k}" for k in INCIDENT_DEFAULTS])
        assert all(sentence.strip() for sentence in words["assumed"].values())
        decision = decide(facts, partnership, TODAY)
        assert set(decision["words"]["assumed"]) == set(decision["assumed"])
        assert decision["words"]["title"] == partnership.texts.titles[decision["outcome"]]
