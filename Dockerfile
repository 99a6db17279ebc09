# prodseg server: REST API + "place it in your room" page (`prodseg serve`).
# Not built by this project's CI (no Docker daemon there); see README "Serving".
#
#   docker build -t prodseg-serve .
#   # a model file, mounted:
#   docker run -p 8000:8000 -v $PWD/data/tflite:/models:ro \
#     -e PRODSEG__SERVE__MODEL=/models/student-int8.tflite prodseg-serve
#   # or the registry's champion, from an MLflow server:
#   docker run -p 8000:8000 -e MLFLOW_TRACKING_URI=http://mlflow:5000 prodseg-serve
#
# Mount a crawl at /data (raw/catalog.parquet + raw/images/) for the product gallery.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    PRODSEG_VAR=/var/lib/prodseg \
    PRODSEG_DATA=/data \
    PRODSEG__SERVE__HOST=0.0.0.0 \
    PRODSEG__SERVE__PORT=8000

RUN useradd --create-home --uid 10001 prodseg \
    && mkdir -p /var/lib/prodseg /data /models \
    && chown prodseg:prodseg /var/lib/prodseg

WORKDIR /app
# The pinned dependency set (pyproject.toml + constraints.txt); PYTHONPATH=/app runs the copied sources.
COPY pyproject.toml constraints.txt README.md ./
COPY prodseg/ prodseg/
COPY commands/ commands/
COPY config/ config/
COPY params.yaml ./
COPY scrapers/ scrapers/
COPY labelling/ labelling/
COPY evaluation/ evaluation/
COPY release/ release/
COPY training/ training/
COPY serving/ serving/
COPY demo_shop/ demo_shop/
COPY assets/ assets/
COPY pipelines/ pipelines/
COPY corrections/ corrections/
RUN pip install -c constraints.txt .
# To bake a model in instead of mounting one:
#   COPY data/tflite/student-int8.tflite /models/
#   ENV PRODSEG__SERVE__MODEL=/models/student-int8.tflite

USER prodseg
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["prodseg", "serve"]
