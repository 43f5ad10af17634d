"""The eligibility conversation as plain Python: no Rasa in here.

    from bot.conversation import respond
    turn = respond(state, "my neighbours play music till 4am", today, "erewash")
    turn.replies  -> what the bot says (response names from bot/domain.yml, with values and custom)
    turn.state    -> the case so far, JSON-serialisable, to pass to the next call

bot/actions/converse.py is the thin Rasa action around it; evaluation/ runs it in-process too.
"""

from bot.conversation.flow import Turn, respond

__all__ = ["Turn", "respond"]
