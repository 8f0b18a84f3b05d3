-- What admins did: users, roles, passwords, tokens, destinations, replays.
CREATE TABLE admin_log (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT ''
) STRICT;
