"""The schema of what the bot remembers, as ordered steps each backend runs in turn.

Both backends (`sqlite`, `postgres`) run the same steps in the same order, so
a database of either kind upgrades itself on start. A new step goes at the end,
written for both; a step already released is never edited (a database that
ran it would not run it again).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One step of the schema, written for each backend; both run the same steps in the same order.

    SQLite counts the steps run in `PRAGMA user_version`, PostgreSQL in its
    `schema_migrations` table (one row per step).
    """

    name: str
    sqlite: str
    postgres: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "users, chats and the question log",
        sqlite="""
        CREATE TABLE users (
            user_id INTEGER PRIMARY KEY,
            language TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE chats (
            chat_id INTEGER PRIMARY KEY,
            article_key TEXT,
            article_lang TEXT,
            language TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            asked_at TEXT NOT NULL,
            chat_id INTEGER,
            user_id INTEGER,
            question TEXT NOT NULL,
            language TEXT,
            kind TEXT NOT NULL,
            article_key TEXT,
            section TEXT,
            score REAL,
            answered INTEGER NOT NULL
        );
        CREATE INDEX questions_by_time ON questions (asked_at);
        """,
        postgres="""
        CREATE TABLE users (
            user_id BIGINT PRIMARY KEY,
            language TEXT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE chats (
            chat_id BIGINT PRIMARY KEY,
            article_key TEXT,
            article_lang TEXT,
            language TEXT,
            updated_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE questions (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            asked_at TIMESTAMPTZ NOT NULL,
            chat_id BIGINT,
            user_id BIGINT,
            question TEXT NOT NULL,
            language TEXT,
            kind TEXT NOT NULL,
            article_key TEXT,
            section TEXT,
            score DOUBLE PRECISION,
            answered BOOLEAN NOT NULL
        );
        CREATE INDEX questions_by_time ON questions (asked_at);
        """,
    ),
    Migration(
        "flood counters shared by every instance",
        sqlite="-- with SQLite each process keeps its own flood counters (bot.telegram.flood.FloodGuard)",
        postgres="""
        CREATE TABLE flood_windows (
            user_id BIGINT PRIMARY KEY,
            hits TIMESTAMPTZ[] NOT NULL,
            notified BOOLEAN NOT NULL,
            last_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX flood_windows_by_time ON flood_windows (last_at);
        """,
    ),
    Migration(
        "readers' votes on answers",
        sqlite="""
        CREATE TABLE votes (
            question_id INTEGER NOT NULL REFERENCES questions (id),
            user_id INTEGER NOT NULL,
            helpful INTEGER NOT NULL,
            voted_at TEXT NOT NULL,
            PRIMARY KEY (question_id, user_id)
        );
        CREATE INDEX votes_by_time ON votes (voted_at);
        """,
        postgres="""
        CREATE TABLE votes (
            question_id BIGINT NOT NULL REFERENCES questions (id),
            user_id BIGINT NOT NULL,
            helpful BOOLEAN NOT NULL,
            voted_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (question_id, user_id)
        );
        CREATE INDEX votes_by_time ON votes (voted_at);
        """,
    ),
    Migration(
        "flood counters per kind of update",
        sqlite="-- with SQLite each process keeps its own flood counters (bot.telegram.flood.FloodGuard)",
        postgres="""
        ALTER TABLE flood_windows ADD COLUMN scope TEXT NOT NULL DEFAULT 'message';
        ALTER TABLE flood_windows DROP CONSTRAINT flood_windows_pkey;
        ALTER TABLE flood_windows ADD PRIMARY KEY (user_id, scope);
        """,
    ),
    Migration(
        "webhook updates already handled, by every instance",
        sqlite="-- with SQLite one process serves the webhook and remembers its updates (bot.telegram.webhook.SeenUpdates)",
        postgres="""
        CREATE TABLE deliveries (
            update_id BIGINT PRIMARY KEY,
            handled_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX deliveries_by_time ON deliveries (handled_at);
        """,
    ),
    Migration(
        "flood counters and webhook updates handled, in SQLite, for the webhook workers that share one file",
        sqlite="""
        CREATE TABLE flood_windows (
            user_id INTEGER NOT NULL,
            scope TEXT NOT NULL,
            hits TEXT NOT NULL,
            notified INTEGER NOT NULL,
            last_at REAL NOT NULL,
            PRIMARY KEY (user_id, scope)
        );
        CREATE TABLE deliveries (
            update_id INTEGER PRIMARY KEY,
            handled_at REAL NOT NULL
        );
        CREATE INDEX deliveries_by_time ON deliveries (handled_at);
        """,
        # PostgreSQL has had both since the steps above; asyncpg refuses a script of comments only.
        postgres="COMMENT ON TABLE deliveries IS 'webhook updates already handled, by any instance or worker'",
    ),
    Migration(
        "the question log counted by the database: each question's key, and indexes /stats and pruning read alone",
        # Questions logged before this step have no key and stay out of the unanswered list (it covers 7 days).
        sqlite="""
        ALTER TABLE questions ADD COLUMN question_key INTEGER;
        CREATE INDEX questions_for_stats ON questions (asked_at, language, answered, question_key);
        DROP INDEX questions_by_time;
        CREATE INDEX votes_for_stats ON votes (voted_at, helpful, question_id);
        DROP INDEX votes_by_time;
        """,
        postgres="""
        ALTER TABLE questions ADD COLUMN question_key BIGINT;
        CREATE INDEX questions_for_stats ON questions (asked_at) INCLUDE (language, answered, question_key, id);
        DROP INDEX questions_by_time;
        CREATE INDEX votes_for_stats ON votes (voted_at) INCLUDE (helpful, question_id);
        DROP INDEX votes_by_time;
        """,
    ),
    Migration(
        "readers' choices among the paragraphs offered with an answer",
        sqlite="""
        CREATE TABLE choices (
            question_id INTEGER NOT NULL REFERENCES questions (id),
            user_id INTEGER NOT NULL,
            article_key TEXT NOT NULL,
            article_lang TEXT NOT NULL,
            section TEXT NOT NULL,
            paragraph INTEGER NOT NULL,
            chosen_at TEXT NOT NULL,
            PRIMARY KEY (question_id, user_id)
        );
        """,
        postgres="""
        CREATE TABLE choices (
            question_id BIGINT NOT NULL REFERENCES questions (id),
            user_id BIGINT NOT NULL,
            article_key TEXT NOT NULL,
            article_lang TEXT NOT NULL,
            section TEXT NOT NULL,
            paragraph INTEGER NOT NULL,
            chosen_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (question_id, user_id)
        );
        """,
    ),
    Migration(
        "readers' evidence for the owner: the paragraph each answer showed, what a tapped paragraph was offered as, "
        "and the owner's verdicts on (question, paragraph) pairs",
        # A verdict holds a hash of the question's words and the paragraph, nothing of the reader's: it outlives the log.
        sqlite="""
        ALTER TABLE questions ADD COLUMN article_lang TEXT;
        ALTER TABLE questions ADD COLUMN paragraph INTEGER;
        ALTER TABLE choices ADD COLUMN offered TEXT NOT NULL DEFAULT 'alternative';
        CREATE TABLE taught_verdicts (
            question_key INTEGER NOT NULL,
            article_key TEXT NOT NULL,
            article_lang TEXT NOT NULL,
            section TEXT NOT NULL,
            paragraph INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            decided_at TEXT NOT NULL,
            PRIMARY KEY (question_key, article_key, article_lang, section, paragraph)
        );
        """,
        postgres="""
        ALTER TABLE questions ADD COLUMN article_lang TEXT;
        ALTER TABLE questions ADD COLUMN paragraph INTEGER;
        ALTER TABLE choices ADD COLUMN offered TEXT NOT NULL DEFAULT 'alternative';
        CREATE TABLE taught_verdicts (
            question_key BIGINT NOT NULL,
            article_key TEXT NOT NULL,
            article_lang TEXT NOT NULL,
            section TEXT NOT NULL,
            paragraph INTEGER NOT NULL,
            accepted BOOLEAN NOT NULL,
            decided_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (question_key, article_key, article_lang, section, paragraph)
        );
        """,
    ),
    Migration(
        "the paragraph each answer showed and each reader tapped, as questions.yml names it: its place may hold "
        "another paragraph by the time the owner reviews the evidence",
        sqlite="""
        ALTER TABLE questions ADD COLUMN opening TEXT;
        ALTER TABLE choices ADD COLUMN opening TEXT;
        """,
        postgres="""
        ALTER TABLE questions ADD COLUMN opening TEXT;
        ALTER TABLE choices ADD COLUMN opening TEXT;
        """,
    ),
    Migration(
        "a reader's word on the paragraph they tapped: shown as an answer is, it can be helpful or not, and a tap "
        "to look is then no confirmation",
        sqlite="""
        ALTER TABLE choices ADD COLUMN helpful INTEGER;
        """,
        postgres="""
        ALTER TABLE choices ADD COLUMN helpful BOOLEAN;
        """,
    ),
)
