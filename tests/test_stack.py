"""The process supervisor's command lines: what `make run` and the tests start."""
from asbcr.stack import Stack


def test_the_api_token_can_never_be_read_as_an_option(tmp_path):
    for _ in range(200):  # a token that began with "-" once stopped Rasa from starting
        stack = Stack(var=tmp_path, env={})
        command = stack.rasa_command()
        token_argument = next(arg for arg in command if arg.startswith("--auth-token"))
        assert token_argument == f"--auth-token={stack.api_token}"
        assert stack.api_token.isalnum()


def test_rasa_gets_our_credentials_endpoints_and_port(tmp_path):
    stack = Stack(var=tmp_path, env={}, rasa_port=6123, actions_port=6124)
    command = stack.rasa_command()
    assert command[command.index("--port") + 1] == "6123"
    assert command[command.index("--credentials") + 1].endswith("bot/credentials.yml")
    endpoints = (tmp_path / "run" / "endpoints.yml").read_text()
    assert "http://127.0.0.1:6124/webhook" in endpoints and "enable_selective_domain: true" in endpoints
