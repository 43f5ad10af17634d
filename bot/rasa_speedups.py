"""One measured fix to Rasa 3.6's hot path, installed when the Rasa server loads our channel.

Rasa validates every action-server response with `jsonschema.validate()`, which checks the
schema itself and builds a new validator on every call. In our profile of whole conversations
that was 74% of the Rasa server's time (bench/turns.py; docs/decisions/0034). Here the
validator is built once; every response is still validated against the same schema, and an
invalid one still fails with Rasa's own message.
"""

from __future__ import annotations

import functools
from typing import Any, Dict

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def _response_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    try:
        _response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
