"""The custom actions, loaded by the action server (`rasa run actions --actions bot.actions`)."""
from asbcr import private_logs

private_logs.install()  # the action server's process: no resident text in any log line
