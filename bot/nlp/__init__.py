"""The project's own spaCy pipeline: blank English plus rule components built from bot/nlp/patterns/.

Public API: bot.nlp.extract.extract, bot.nlp.dates.parse_dates, bot.nlp.pipeline.load,
bot.nlp.component.ASBEntityExtractor (Rasa). See bot/nlp/README.md.
"""
