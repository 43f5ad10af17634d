"""Builds the project's spaCy pipeline under var/spacy (placeholder until issue 3)."""
import sys

if __name__ == "__main__":
    sys.exit(0)
