"""Rasa 3.6 graph component: runs bot.nlp.extract on every message.

config.yml, after the tokenizer:

    pipeline:
      - name: WhitespaceTokenizer
      - name: bot.nlp.component.ASBEntityExtractor
      ...

Registered as a non-trainable ENTITY_EXTRACTOR, so Rasa only calls `process` at prediction
time (training messages keep their hand annotations). Entities from other extractors are kept;
ours get `extractor: ASBEntityExtractor`. Config `entities: [label, ...]` limits the labels
(default: all).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp import extract as _extract
from groundwork.clock import today
from bot.nlp import pipeline

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ASBEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Entities for the ASB Case Review bot from the project's own spaCy pipeline."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entities": None}  # None: every label bot.nlp.extract knows

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.component_config = config
        wanted = config.get("entities")
        self.wanted = set(wanted) if wanted else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ASBEntityExtractor":
        pipeline.load()  # pay the load once, when the model loads, not on the first message
        return cls(config)

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "dateparser"]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            try:
                # dates resolved to ISO values as of the service's today, as Duckling's are
                found = _extract.extract(text, today()) if isinstance(text, str) else []
            except Exception:  # a bug here must not take the conversation down: log, carry on
                logger.exception("ASBEntityExtractor failed on a message; no entities added")
                found = []
            if self.wanted is not None:
                found = [e for e in found if e["entity"] in self.wanted]
            for entity in found:
                entity["confidence_entity"] = 1.0
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        wanted = config.get("entities")
        if wanted is not None and not (isinstance(wanted, list) and all(isinstance(w, str) for w in wanted)):
            raise ValueError("ASBEntityExtractor: 'entities' must be a list of entity labels")
