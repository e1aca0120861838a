# syntax=docker/dockerfile:1
# ParrotChat: one server process per container (rooms are in memory; scale out with Redis).
# Build: docker build -t parrotchat .     Run: docker run -p 8000:8000 parrotchat

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

# --- build: a virtualenv with the pinned dependencies and the app --------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir .

# --- runtime: the venv, the source tree (for static/ and app data), a non-root user --------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PARROT_HOST=0.0.0.0 \
    PARROT_PORT=8000 \
    PARROT_LOG_FORMAT=json
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/parrotchat
COPY app ./app
COPY static ./static
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PARROT_PORT', '8000') + '/healthz', timeout=2)"]
CMD ["python", "-m", "app"]
