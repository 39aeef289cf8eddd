# The GPU worker: faster-whisper transcription and synthesis (espeak-ng, Piper, XTTS v2).
# Build from the repository root:  docker build -f docker/worker-gpu.Dockerfile -t dubbing-worker-gpu .
#
# The base is a CUDA 12 runtime with cuDNN 9 because CTranslate2 (faster-whisper) loads
# libcublas.so.12 and libcudnn.so.9 from the system. torch brings its own CUDA libraries as
# wheels; the torch==2.13.0 pin in pyproject.toml comes from TORCH_INDEX_URL when that index has
# it (default: CUDA 13.0 builds, NVIDIA driver >= 580), otherwise from PyPI. Pass
# --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 for older drivers, or an
# empty value for PyPI only.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu22.04

# --- python: Python 3.11 (deadsnakes) on the CUDA image -----------------------------------------
FROM ${CUDA_IMAGE} AS python
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates software-properties-common gpg-agent \
 && add-apt-repository -y ppa:deadsnakes/ppa \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3.11 python3.11-venv \
 && rm -rf /var/lib/apt/lists/*

# --- build: a virtual environment with the project and its gpu extra ----------------------------
FROM python AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cu130
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first (several GB with torch): rebuilt only when pyproject.toml or the index
# changes. The packages are empty stand-ins here, replaced by the real ones below.
COPY pyproject.toml ./
RUN touch README.md \
 && for p in dubbing dubclient workflows activities worker starter api; do \
      mkdir -p "$p" && touch "$p/__init__.py"; \
    done \
 && pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} '.[gpu]' \
 && rm -rf build ./*.egg-info
COPY README.md ./
COPY dubbing ./dubbing
COPY dubclient ./dubclient
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY starter ./starter
COPY api ./api
# The check covers what every GPU worker needs; XTTS (coqui-tts) is only loaded by jobs that
# ask for the xtts voice, and fails those jobs with a configuration error if it cannot load.
# It runs outside the source tree, so that only what was installed can be imported.
RUN pip install --no-deps --force-reinstall . \
 && cd / && python -c "import worker.__main__, faster_whisper, piper"

# --- runtime ----------------------------------------------------------------------------------
FROM python
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg espeak-ng sox \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 dub \
 && useradd --system --uid 10001 --gid dub --create-home --home-dir /home/dub dub \
 && mkdir -p /models/huggingface /models/tts \
 && chown -R dub:dub /models
COPY --from=build /opt/venv /opt/venv
# Downloaded models (Whisper sizes other than the bundled tiny.en, XTTS v2) live under /models,
# a volume in docker-compose.yml, so they are fetched once per host rather than per container.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HOME=/models/huggingface \
    TTS_HOME=/models/tts
USER dub
WORKDIR /home/dub
# The worker drains on SIGTERM (up to 30 s of in-flight activities), then exits.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "worker", "--role", "gpu"]
