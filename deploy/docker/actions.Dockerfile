# syntax=docker/dockerfile:1
# An action server replica: rasa-sdk with bot/actions (the conversation, the rule set, casework's
# applications), in the same pinned Python 3.10 environment as Rasa's (constraints.txt).
# Build from the repository root:
#   docker build -f deploy/docker/actions.Dockerfile -t asbcr-actions:0.1.0 .

FROM python:3.10.20-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc g++ libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY groundwork groundwork
COPY asbcr asbcr
COPY bot bot
COPY casework casework
COPY rules rules
RUN python -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --no-cache-dir -c constraints.txt pip \
 && /opt/venv/bin/python -m pip install --no-cache-dir -c constraints.txt -e .

FROM python:3.10.20-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    ASBCR_VAR=/var/lib/asbcr \
    RASA_TELEMETRY_ENABLED=false
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
RUN install -d -m 0700 -o 10001 -g 10001 /var/lib/asbcr
USER 10001:10001
EXPOSE 5055
CMD ["python", "-m", "asbcr.container", "actions"]
