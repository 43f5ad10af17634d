"""The Rasa graph component: registered as a non-trainable entity extractor, adds our entities."""

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.component import ASBEntityExtractor

CONFIG = {
    "recipe": "default.v1",
    "language": "en",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "bot.nlp.component.ASBEntityExtractor"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "DIETClassifier", "epochs": 1, "entity_recognition": False},
        {"name": "EntitySynonymMapper"},
    ],
    "policies": [],
}


def test_process_adds_entities_with_our_extractor_name_and_keeps_others(monkeypatch):
    monkeypatch.setenv("ASBCR_TODAY", "2026-11-25")
    extractor = ASBEntityExtractor({**ASBEntityExtractor.get_default_config()})
    other = {"entity": "thing", "value": "x", "start": 0, "end": 1, "extractor": "Other"}
    message = Message(data={TEXT: "told the feds 3 times since Christmas", ENTITIES: [other]})
    empty = Message(data={TEXT: ""})
    extractor.process([message, empty])
    entities = message.get(ENTITIES)
    assert entities[0] == other
    ours = entities[1:]
    assert [(e["entity"], e["value"], e["text"]) for e in ours] == [
        ("organisation", "police", "the feds"),
        ("incident_count", "3", "3"),
        ("date", "2025-12-25", "since Christmas"),  # resolved once, as of the service's today
    ]
    assert ours[2]["additional_info"] == {"approximate": False, "open_ended": True}
    assert {e["extractor"] for e in ours} == {"ASBEntityExtractor"}
    assert empty.get(ENTITIES, []) == []


def test_entities_option_limits_the_labels():
    extractor = ASBEntityExtractor({"entities": ["date"]})
    message = Message(data={TEXT: "told the feds on 12 Feb"})
    extractor.process([message])
    assert [e["entity"] for e in message.get(ENTITIES)] == ["date"]


def test_recipe_runs_it_at_prediction_only():
    graph = DefaultV1Recipe().graph_config_for_recipe(CONFIG, {})
    predict = [n for n in graph.predict_schema.nodes.values() if n.uses is ASBEntityExtractor]
    train = [n for n in graph.train_schema.nodes.values() if n.uses is ASBEntityExtractor]
    assert len(predict) == 1 and predict[0].fn == "process"
    assert train == []  # training messages keep their hand annotations
