-- What the widget shows before a chat's first message (a greeting, suggested questions), and when the team is in.
--
-- Lists are JSON text (an array of strings; NULL: none), read whole by GET /widget/v1/settings. Office hours are
-- JSON too: `{"time_zone": "Europe/Paris", "weekly": ["mon-fri 09:00-17:00", …]}`, as `org update` wrote them
-- (domain/office_hours.rs parses them).
ALTER TABLE orgs ADD COLUMN greeting TEXT;
ALTER TABLE orgs ADD COLUMN suggested_questions TEXT;
ALTER TABLE orgs ADD COLUMN office_hours TEXT;
-- 1: a greeting bubble the widget showed, stored ahead of the visitor's first message. A column, as on SQLite (which
-- cannot change kind's CHECK without rebuilding its table), so that every query is the same; reads make it kind `greeting`.
ALTER TABLE messages ADD COLUMN greeting INTEGER NOT NULL DEFAULT 0;
