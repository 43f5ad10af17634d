"""The pipeline build: saved under var/, skipped when unchanged, same answers as in memory."""

import spacy

from bot.nlp import build, pipeline, vocab


def test_build_saves_a_loadable_pipeline_and_skips_when_unchanged(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path))
    assert build.main([]) == 0
    path = tmp_path / "spacy" / "asbcr_en"
    assert (path / "config.cfg").is_file()
    assert (path / build.STAMP).read_text().strip() == vocab.sources_hash()
    assert "Built" in capsys.readouterr().out

    assert build.main(["--if-changed"]) == 0
    assert capsys.readouterr().out == ""  # up to date: nothing done

    saved = spacy.load(path)
    text = "told the feds and my housing officer 3 times since Christmas, he's outside with a knife now"
    fresh = build.build_pipeline()
    assert [(e.text, e.label_, e.id_) for e in saved(text).ents] == [(e.text, e.label_, e.id_) for e in fresh(text).ents]
    assert pipeline.load()(text).ents  # the cached pipeline works too


def test_a_stale_stamp_is_not_current(tmp_path, monkeypatch):
    monkeypatch.setenv("ASBCR_VAR", str(tmp_path))
    path = build.build()
    assert build.is_current(path)
    (path / build.STAMP).write_text("something else\n")
    assert not build.is_current(path)


def test_a_broken_pattern_phrase_is_reported_not_crashed():
    import pytest

    from bot.nlp import phrases

    with pytest.raises(ValueError):
        phrases.parse("never (called back")
