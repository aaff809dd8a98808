# RoomTime: one image for the API and the worker.

# Build the wheel (it carries the migrations inside the package).
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --create-home --home-dir /app roomtime
WORKDIR /app

# The runtime lock only: no test or lint tools (pytest, schemathesis, ruff) in the image.
COPY requirements.lock ./
RUN pip install --no-cache-dir --no-deps -r requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && pip check \
    && rm -rf /wheels && mkdir -p /data/uploads && chown -R roomtime /data

USER roomtime
# Production is opt-in everywhere else; the image opts in, so a container refuses to start
# without JWT_SECRET, PUBLIC_BASE_URL and SMTP_HOST (see README "Production").
ENV ENVIRONMENT=production HOST=0.0.0.0 PORT=8000 DATA_DIR=/data UPLOAD_DIR=/data/uploads LOG_FORMAT=json
EXPOSE 8000
CMD ["roomtime", "api"]
