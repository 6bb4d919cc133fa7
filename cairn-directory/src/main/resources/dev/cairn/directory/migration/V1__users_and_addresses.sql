-- Users and their addresses (the directory's first schema, as SQLite files of Cairn before Flyway have it).
-- The dialects differ only by the placeholders of Schema.Dialect: int64 (a 64-bit integer), key (text compared and
-- ordered by its bytes: SQLite's way, PostgreSQL's COLLATE "C") and strict (SQLite's typed tables).
CREATE TABLE users (
    name                ${key} PRIMARY KEY,
    password_hash       TEXT,
    quota_storage_bytes ${int64},
    quota_messages      ${int64},
    group_name          ${key},
    created_at          ${int64} NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0
)${strict};
CREATE TABLE addresses (
    address    ${key} PRIMARY KEY,
    user_name  ${key} NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL DEFAULT 0
)${strict};
CREATE INDEX addresses_by_user ON addresses(user_name);
CREATE UNIQUE INDEX one_primary_address ON addresses(user_name) WHERE is_primary = 1;
CREATE INDEX users_by_group ON users(group_name) WHERE group_name IS NOT NULL;
