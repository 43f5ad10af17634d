"""The faster action-response check accepts and refuses exactly what Rasa's own does."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_speedups

GOOD = {"events": [{"event": "slot", "name": "concern", "value": "asb"}], "responses": [{"response": "utter_greet"}]}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [], "responses": "not a list"},
]


@pytest.fixture
def installed():
    original = RemoteAction._validate_action_result
    rasa_speedups.install()
    yield RemoteAction("validate_case_form", None)
    RemoteAction._validate_action_result = original


def test_a_valid_response_passes(installed):
    assert installed._validate_action_result(GOOD) is True


@pytest.mark.parametrize("response", BAD)
def test_an_invalid_response_fails_as_before(installed, response):
    with pytest.raises(ValidationError) as raised:
        installed._validate_action_result(response)
    assert "Failed to validate Action server response" in raised.value.message


@pytest.mark.parametrize("response", BAD + [GOOD])
def test_same_verdict_as_rasa(response):
    from jsonschema import validate

    try:
        validate(response, RemoteAction.action_response_format_spec())
        rasa_says = True
    except ValidationError:
        rasa_says = False
    try:
        rasa_speedups._response_validator().validate(response)
        ours = True
    except ValidationError:
        ours = False
    assert ours == rasa_says
