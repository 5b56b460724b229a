-- Users, API keys, the audit log, the change feed and the certificate cache.

CREATE TABLE users (
	id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	issuer   text        NOT NULL,
	subject  text        NOT NULL,
	kind     text        NOT NULL,
	email    text        NOT NULL DEFAULT '',
	name     text        NOT NULL DEFAULT '',
	role     text        NOT NULL,
	disabled boolean     NOT NULL DEFAULT false,
	created  timestamptz NOT NULL,
	updated  timestamptz NOT NULL,
	CONSTRAINT users_identity_key UNIQUE (issuer, subject)
);

CREATE INDEX users_email ON users (lower(email));

CREATE TABLE api_keys (
	id             text        PRIMARY KEY,
	user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	label          text        NOT NULL,
	prefix         text        NOT NULL,
	hash           bytea       NOT NULL CONSTRAINT api_keys_hash_key UNIQUE,
	scopes         text        NOT NULL DEFAULT '',
	created        timestamptz NOT NULL,
	expires        timestamptz,
	prev_hash      bytea,
	prev_expires   timestamptz,
	rolled         timestamptz,
	last_used      timestamptz,
	last_used_addr text        NOT NULL DEFAULT '',
	revoked        timestamptz,
	CONSTRAINT api_keys_label_key UNIQUE (user_id, label)
);

-- No foreign keys: events outlive the users and keys they mention.
CREATE TABLE audit (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	time       timestamptz NOT NULL,
	action     text        NOT NULL,
	actor_id   bigint      NOT NULL DEFAULT 0,
	user_id    bigint      NOT NULL DEFAULT 0,
	key_id     text        NOT NULL DEFAULT '',
	key_prefix text        NOT NULL DEFAULT '',
	addr       text        NOT NULL DEFAULT '',
	reason     text        NOT NULL DEFAULT '',
	detail     text        NOT NULL DEFAULT ''
);

CREATE INDEX audit_time ON audit (time, id);
CREATE INDEX audit_user ON audit (user_id, time);
CREATE INDEX audit_actor ON audit (actor_id, time);
CREATE INDEX audit_key ON audit (key_id, time);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
	FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Rows are inserted under an advisory lock held until commit (see
-- recordChange), so seq order is commit order and a reader never skips a
-- seq that commits later.
CREATE TABLE changes (
	seq     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id bigint      NOT NULL DEFAULT 0,
	key_id  text        NOT NULL DEFAULT '',
	time    timestamptz NOT NULL
);

CREATE INDEX changes_time ON changes (time);

CREATE TABLE cert_cache (
	name    text        PRIMARY KEY,
	data    bytea       NOT NULL,
	updated timestamptz NOT NULL
);
