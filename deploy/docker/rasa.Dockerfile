# syntax=docker/dockerfile:1
# A Rasa server replica: Rasa 3.6.21 on Python 3.10 (the last it supports) with every pin of
# constraints.txt, the project's REST channel and a model trained in the build from the repository.
# Build from the repository root:
#   docker build -f deploy/docker/rasa.Dockerfile -t asbcr-rasa:0.1.0 .

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
# As scripts/bootstrap.sh does: pip at its pin, then the project (editable, so the code is read
# from /app as `make run` reads it from the checkout) against constraints.txt. No dev tools.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --no-cache-dir -c constraints.txt pip \
 && /opt/venv/bin/python -m pip install --no-cache-dir -c constraints.txt -e .

# The model, trained as scripts/train.sh trains it (seeded: the same data gives the same model).
FROM build AS model
ENV RASA_TELEMETRY_ENABLED=false
COPY config.yml ./
RUN /opt/venv/bin/python -m bot.nlp.build \
 && /opt/venv/bin/rasa train --config config.yml --domain bot/domain.yml --data bot/data \
      --out models --fixed-model-name asbcr --quiet

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
COPY --from=model /app/models/asbcr.tar.gz models/asbcr.tar.gz
RUN install -d -m 0700 -o 10001 -g 10001 /var/lib/asbcr
USER 10001:10001
EXPOSE 5005
CMD ["python", "-m", "asbcr.container", "rasa"]
