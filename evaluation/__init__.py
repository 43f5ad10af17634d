"""Measuring the conversation on blind material (tests/blind): the simulated resident and the scorer."""
