# syntax=docker/dockerfile:1
#
# jiebang-api container image.
#
#   docker build -t jiebang-api .
#   docker run -p 8000:8000 \
#     -e JIEBANG_JWT_SECRET=<at least 32 random characters> \
#     -e JIEBANG_DATABASE_URL=postgresql+asyncpg://user:password@db:5432/jiebang \
#     jiebang-api
#
# The image runs with JIEBANG_ENV=prod, which refuses to start with the default
# JWT secret (or with JIEBANG_DEBUG=true): JIEBANG_JWT_SECRET is required, and
# JIEBANG_DATABASE_URL should point at PostgreSQL (the SQLite default would put
# jiebang.db inside the container).

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- builder ---
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv

WORKDIR /build
# hatchling builds from pyproject.toml, which names README.md as the readme.
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /build/dist . \
 && /opt/venv/bin/pip install /build/dist/*.whl

# ---------------------------------------------------------------- runtime ---
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    JIEBANG_ENV=prod \
    JIEBANG_MIGRATIONS_DIR=/app/migrations

RUN groupadd --system --gid 10001 jiebang \
 && useradd --system --uid 10001 --gid jiebang --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin jiebang

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY openapi ./openapi
# The code stays root-owned; only /app itself is writable (room for a SQLite file), and
# /app/data/files, the default JIEBANG_STORAGE_DIR (an empty volume mounted there takes its owner).
RUN mkdir -p /app/data/files \
 && chown jiebang:jiebang /app /app/data /app/data/files

USER jiebang

EXPOSE 8000

# slim images have no curl; urlopen raises (exit 1) on refusal or a non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# `serve` migrates the database to head before it starts listening.
CMD ["jiebang-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
