# syntax=docker/dockerfile:1
# nginx in front: nginx's own unprivileged image (listens on 8080, runs as uid 101) with the
# project's configuration (deploy/nginx/nginx.conf). Build from the repository root:
#   docker build -f deploy/docker/nginx.Dockerfile -t asbcr-nginx:0.1.0 .
FROM nginxinc/nginx-unprivileged:1.30.4-alpine
COPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf
USER 101:101
EXPOSE 8080
