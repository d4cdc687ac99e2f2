# One image for the three services; docker-compose.yml picks the service with its `command`,
# e.g. ["python", "-m", "services.content"]. All configuration comes from the environment:
# nothing secret is baked in here. Health checks live in docker-compose.yml (one port each).

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: resolve the locked dependencies into /app/.venv --------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==0.13.9"

WORKDIR /app
# Only the lock inputs: the dependency layer is rebuilt when they change, not on every code edit.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# ---- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/app/.venv \
    PATH="/app/.venv/bin:${PATH}"

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin portal

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY shared/ ./shared/
COPY services/ ./services/
# The editor bundle is built on the host by scripts/bootstrap.sh (npm ci + esbuild: no Node
# image can be pulled here) and is git-ignored, so it comes in with services/ only if it was
# built: without it the editor page has no editor, so the build stops here instead.
# Byte-compile as root now: the non-root user below cannot write __pycache__ into /app.
RUN for f in rich-editor.js rich-editor.css; do \
      test -s "services/content/static/$f" || { \
        echo "ERROR: services/content/static/$f is missing: run scripts/bootstrap.sh first" >&2; \
        exit 1; }; \
    done \
    && python -m compileall -q shared services

USER portal:portal

# content, counter, notifier (HTTP_PORT of each); only one listens per container.
EXPOSE 8081 8082 8083

# No default service: the compose `command` chooses one.
CMD ["python", "-c", "raise SystemExit('choose a service: python -m services.content | services.counter | services.notifier')"]
