# The inkstream processors and HTTP apps (one image; the command picks the process):
#   docker run inkstream run ocr      docker run inkstream run api
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OMP_NUM_THREADS=1
# libglib2.0-0 and libgomp1: OpenCV (headless) and ONNX Runtime; chromium renders pages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libglib2.0-0 libgomp1 chromium \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md inkstream.yaml requirements.lock ./
# Hash-checked dependencies first (SECURITY.md, supply chain), then the package alone.
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY inkstream inkstream
COPY streams streams
COPY schemas schemas
COPY connectors connectors
COPY ops ops
COPY app app
COPY mappings mappings
RUN pip install . --no-deps

RUN useradd --create-home --uid 10001 inkstream && mkdir -p /data && chown inkstream /data
USER inkstream
ENV INKSTREAM_DATA_DIR=/data
ENTRYPOINT ["inkstream"]
CMD ["--help"]
