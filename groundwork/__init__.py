"""The ground floor: what every other package may use. It imports nothing of the project
(tests/test_groundwork.py holds it to that), so rules/, casework/, web/, bot/ and the command
line in asbcr/ can all stand on it without an import loop."""
