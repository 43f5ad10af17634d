# syntax=docker/dockerfile:1
# The public web tier: web/server.py and what it imports (the relay, its limits, the private pages,
# the partnership's details), on Python 3.12 with requirements-web.txt alone: no Rasa, no bot/.
# Build from the repository root:
#   docker build -f deploy/docker/web.Dockerfile -t asbcr-web:0.1.0 .

# The page's GOV.UK Frontend assets, exactly as `make` builds them (scripts/web-assets.sh, npm ci).
FROM node:24.18.0-bookworm-slim AS assets
WORKDIR /src
COPY web/package.json web/package-lock.json web/
COPY web/src web/src
COPY scripts/web-assets.sh scripts/
RUN scripts/web-assets.sh

# The pinned environment; a compiler only here (durable_rules builds from source).
FROM python:3.12.13-slim-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY requirements-web.txt /tmp/requirements-web.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --no-cache-dir "$(grep '^pip==' /tmp/requirements-web.txt)" \
 && /opt/venv/bin/python -m pip install --no-cache-dir -r /tmp/requirements-web.txt

FROM python:3.12.13-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    ASBCR_VAR=/var/lib/asbcr
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY groundwork groundwork
COPY asbcr asbcr
COPY casework casework
COPY rules rules
COPY web/*.py web/site.yml web/
COPY web/static web/static
COPY web/templates web/templates
COPY --from=assets /src/web/vendor web/vendor
# var/ is a volume in a deployment; owned by the service's user, private (0700).
RUN install -d -m 0700 -o 10001 -g 10001 /var/lib/asbcr
USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "asbcr.container", "web"]
