-- The blog's posts. A user who wrote posts cannot be deleted until the
-- posts are (RESTRICT): posts never lose their author silently.

CREATE TABLE posts (
	id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	author_id bigint      NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	title     text        NOT NULL,
	body      text        NOT NULL,
	status    text        NOT NULL CHECK (status IN ('draft', 'published')),
	created   timestamptz NOT NULL,
	updated   timestamptz NOT NULL,
	version   bigint      NOT NULL DEFAULT 1
);

-- The list filters: published posts, and one author's posts, newest first.
CREATE INDEX posts_status ON posts (status, id);
CREATE INDEX posts_author ON posts (author_id, id);
