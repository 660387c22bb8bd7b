-- The agent's list is ordered by latest activity (the last message, or the start of a chat without one), so a
-- flood of new empty chats cannot push a real conversation with a new message out of sight. `activity_seq` is a
-- counter over the whole table rather than a time: every chat start and every message takes the next value, so
-- the order is total and exact (two events in the same second keep their order), and it serves as the paging
-- cursor of `GET /api/sessions?before=`.
ALTER TABLE sessions ADD COLUMN activity_seq INTEGER NOT NULL DEFAULT 0;

WITH ranked AS (
    SELECT s.id,
           ROW_NUMBER() OVER (ORDER BY COALESCE((SELECT MAX(m.created_at) FROM messages m WHERE m.session_id = s.id),
                                                 s.created_at),
                                        COALESCE((SELECT MAX(m.id) FROM messages m WHERE m.session_id = s.id), 0),
                                        s.rowid) AS n
    FROM sessions s
)
UPDATE sessions SET activity_seq = (SELECT n FROM ranked WHERE ranked.id = sessions.id);

-- The first serves MAX(activity_seq) (the next value), the second an org's list in activity order.
CREATE INDEX sessions_by_activity_seq ON sessions (activity_seq);
CREATE INDEX sessions_by_org_activity ON sessions (org_id, activity_seq);

-- In the database, not in the code, so no path that stores a message can forget it.
CREATE TRIGGER messages_touch_session AFTER INSERT ON messages
BEGIN
    UPDATE sessions SET activity_seq = (SELECT MAX(activity_seq) FROM sessions) + 1 WHERE id = NEW.session_id;
END;
