-- Conveyor schema (SQLite): OAuth 2.0 access tokens. Only the SHA-256 of a token is stored.
-- A token is live while expires_at (ms) is in the future; revoking deletes the row, and a
-- project's expired rows are deleted when it next issues a token. Deleting the app key that
-- issued a token deletes the token.

CREATE TABLE oauth_tokens (
    token_hash  TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    client_id   TEXT NOT NULL REFERENCES credentials (app_id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX oauth_tokens_by_project ON oauth_tokens (project_id, expires_at);
CREATE INDEX oauth_tokens_by_client ON oauth_tokens (client_id);
