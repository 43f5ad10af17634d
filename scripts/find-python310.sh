#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8-3.10 only).
exec "$(dirname "$0")/find-python.sh" 3.10 "Rasa 3.6 (the last open-source Rasa) runs on Python 3.8-3.10 only."
