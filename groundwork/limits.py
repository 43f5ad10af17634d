"""How long a resident's message may be: the one place that says so.

The edges (the page's relay and Rasa's REST channel) accept a message up to MESSAGE_CHARS and
refuse a longer one with a clear message. The conversation reads the start of it, READ_CHARS,
and keeps the rest in the tracker store: a long story is never lost, but no message can make
the language code work on more than this.
"""

MESSAGE_CHARS = 10_000
READ_CHARS = 2_000
