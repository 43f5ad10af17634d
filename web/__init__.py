"""The resident's chat page (web/server.py) and its front-end assets."""
