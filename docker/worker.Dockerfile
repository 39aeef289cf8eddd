# The CPU worker: the workflow, probing, extraction, Apertium translation, fitting, rendering;
# the same image runs the HTTP API (`python -m api`).
# Build from the repository root:  docker build -f docker/worker.Dockerfile -t dubbing-worker-cpu .
# No speech or GPU extras: `pip install '.[api]'` only.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# --- build: a virtual environment with the project, dependencies in their own layer ----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first: this layer is rebuilt only when pyproject.toml changes. The packages are
# empty stand-ins here (and README.md a blank one), replaced by the real ones below.
COPY pyproject.toml ./
RUN touch README.md \
 && for p in dubbing dubclient workflows activities worker starter api; do \
      mkdir -p "$p" && touch "$p/__init__.py"; \
    done \
 && pip install '.[api]' \
 && rm -rf build ./*.egg-info
COPY README.md ./
COPY dubbing ./dubbing
COPY dubclient ./dubclient
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY starter ./starter
COPY api ./api
# Checked from outside the source tree, so that only what was installed can be imported.
RUN pip install --no-deps --force-reinstall . \
 && cd / && python -c "import worker.__main__, starter.cli, api, fastapi, uvicorn, python_multipart"

# --- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# The tools the CPU activities run (scripts/ensure-debs.sh lists the same).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg espeak-ng sox apertium apertium-eng-spa apertium-eng-cat \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 dub \
 && useradd --system --uid 10001 --gid dub --create-home --home-dir /home/dub dub
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER dub
WORKDIR /home/dub
# The worker drains on SIGTERM (up to 30 s of in-flight activities), then exits.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "worker", "--role", "cpu"]
