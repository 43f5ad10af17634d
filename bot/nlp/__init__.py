"""The project's own spaCy pipeline: blank English plus rule-based components from data in the repo."""
