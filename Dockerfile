# The bot in a small image: python slim, a non-root user, the database and index cache on a volume.
#   docker build -t kb-bot .
#   docker run -d --name kb-bot --env-file .env -v kb-data:/data kb-bot
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY seeds ./seeds
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 bot && mkdir /data && chown bot:bot /data
COPY --from=build /install /usr/local
COPY --chown=bot:bot seeds /app/seeds
# The volume is the working folder, so a relative path an operator sets (DATABASE_PATH=data/bot.sqlite3)
# lands on it, writable, instead of failing in a folder the bot cannot write.
WORKDIR /data
USER bot
ENV CONTENT_DIR=/app/seeds \
    CACHE_DIR=/data/cache \
    DATABASE_PATH=/data/bot.sqlite3 \
    WEBHOOK_LISTEN=0.0.0.0 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 8443
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
