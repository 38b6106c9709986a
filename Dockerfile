# supportbot's container image: `docker build -t supportbot .`
# One process serves HTTP (and Socket Mode), runs the scheduler and delivers the outbox.
# SQLite lives on the /data volume by default; set DATABASE_URL=postgresql://… for replicas.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY integrations ./integrations
COPY scheduling ./scheduling
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin supportbot \
    && mkdir -p /app /data \
    && chown supportbot:supportbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
WORKDIR /app
# `supportbot check` compares the token's scopes with the manifest it finds here.
COPY app_manifest.yml ./
USER supportbot
ENV DATABASE_URL=sqlite:////data/supportbot.db
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=4)"]
CMD ["supportbot", "run"]
