-- The blog's posts. Times are UTC Unix milliseconds. A user who wrote
-- posts cannot be deleted until the posts are (RESTRICT): posts never lose
-- their author silently.

CREATE TABLE posts (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
	title     TEXT    NOT NULL,
	body      TEXT    NOT NULL,
	status    TEXT    NOT NULL CHECK (status IN ('draft', 'published')),
	created   INTEGER NOT NULL,
	updated   INTEGER NOT NULL,
	version   INTEGER NOT NULL DEFAULT 1
) STRICT;

-- The list filters: published posts, and one author's posts, newest first.
CREATE INDEX posts_status ON posts (status, id);
CREATE INDEX posts_author ON posts (author_id, id);
