#include "store/migrations.hpp"

namespace kith::store {

namespace {

// Version 1: the control plane's tables. Timestamps are integer UTC milliseconds.
constexpr const char* kV1 = R"sql(
CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
INSERT INTO workspaces (id, key, name, created_at) VALUES (1, 'default', 'Default', 0);

CREATE TABLE audiences (
    id                  INTEGER PRIMARY KEY,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    folder              TEXT NOT NULL DEFAULT '',
    enabled             INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    schedule            TEXT NOT NULL CHECK (json_valid(schedule)),
    definition          TEXT NOT NULL CHECK (json_valid(definition)),
    definition_version  INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (workspace_id, key)
);

CREATE TABLE audience_versions (
    audience_id  INTEGER NOT NULL REFERENCES audiences(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    definition   TEXT NOT NULL CHECK (json_valid(definition)),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (audience_id, version)
);

CREATE TABLE activations (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    audience_id   INTEGER NOT NULL REFERENCES audiences(id) ON DELETE CASCADE,
    destination   TEXT NOT NULL CHECK (json_valid(destination)),
    action        TEXT NOT NULL,
    trigger_type  TEXT NOT NULL CHECK (trigger_type IN
                      ('profile_enters', 'profile_exits', 'entity_enters', 'entity_exits', 'membership_changed')),
    entity        TEXT NOT NULL DEFAULT '',
    event_name    TEXT NOT NULL DEFAULT '',
    identifiers   TEXT NOT NULL CHECK (json_valid(identifiers)),
    enrichment    TEXT NOT NULL CHECK (json_valid(enrichment)),
    mapping       TEXT NOT NULL CHECK (json_valid(mapping)),
    backfill      INTEGER NOT NULL DEFAULT 1 CHECK (backfill IN (0, 1)),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    first_run_id  INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, key)
);
CREATE INDEX activations_by_audience ON activations (audience_id);

CREATE TABLE runs (
    id                  INTEGER PRIMARY KEY,
    audience_id         INTEGER NOT NULL REFERENCES audiences(id) ON DELETE CASCADE,
    definition_version  INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    reason              TEXT NOT NULL,
    queued_at           INTEGER NOT NULL,
    started_at          INTEGER,
    finished_at         INTEGER,
    queueing_ms         INTEGER,
    extracting_ms       INTEGER,
    preparing_ms        INTEGER,
    summary             TEXT CHECK (summary IS NULL OR json_valid(summary)),
    error               TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_audience ON runs (audience_id, id);
CREATE INDEX runs_unfinished ON runs (status) WHERE status IN ('queued', 'running');

CREATE TABLE snapshots (
    run_id          INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    audience_id     INTEGER NOT NULL REFERENCES audiences(id) ON DELETE CASCADE,
    members_table   TEXT NOT NULL,
    entities_table  TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX snapshots_by_audience ON snapshots (audience_id, run_id);

CREATE TABLE baselines (
    audience_id  INTEGER PRIMARY KEY REFERENCES audiences(id) ON DELETE CASCADE,
    run_id       INTEGER NOT NULL REFERENCES snapshots(run_id),
    updated_at   INTEGER NOT NULL
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    activation_id    INTEGER NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
    run_id           INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    message_id       TEXT NOT NULL UNIQUE,
    event_name       TEXT NOT NULL DEFAULT '',
    payload          TEXT NOT NULL CHECK (json_valid(payload)),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'filtered')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    filter_stage     TEXT NOT NULL DEFAULT '' CHECK (filter_stage IN ('', 'source', 'destination')),
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_activation ON outbox (activation_id, created_at);
)sql";

// Runs record the process that executes them and the baseline they were diffed against; snapshots name their
// change tables. A run writes its events to the outbox while it prepares them; they are delivered only once the
// run is completed (the outbox is read joined to the runs), so outbox_by_run finds a run's events.
constexpr const char* kV2 = R"sql(
ALTER TABLE runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN baseline_run_id INTEGER;
ALTER TABLE snapshots ADD COLUMN profile_changes_table TEXT NOT NULL DEFAULT '';
ALTER TABLE snapshots ADD COLUMN entity_changes_table TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_by_run ON outbox (run_id) WHERE run_id IS NOT NULL;
)sql";

// Outbox events keep the destination's status code of their last attempt (0: none, or no HTTP status), for the
// delivery overview. The overview counts events per activation, event name and time of queueing, and its drill-down
// finds a step's event ids, both from one covering index: neither reads the table (whose rows carry the payload),
// so they cost an index range scan. It starts with (activation_id, created_at) and so replaces
// outbox_by_activation.
constexpr const char* kV3 = R"sql(
ALTER TABLE outbox ADD COLUMN last_status INTEGER NOT NULL DEFAULT 0;
DROP INDEX outbox_by_activation;
CREATE INDEX outbox_overview ON outbox (activation_id, created_at, event_name, status, filter_stage, attempts, run_id);
)sql";

// People and credentials of the service (src/api): users with their roles (JSON array of role names) and an
// Argon2id password hash (empty: cannot log in with a password), login sessions and API tokens, each stored as the
// SHA-256 of the secret the client holds (a stolen store does not hold usable credentials), and the failed logins
// per email that slow down guessing.
constexpr const char* kV4 = R"sql(
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email          TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name           TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL DEFAULT '',
    roles          TEXT NOT NULL CHECK (json_valid(roles)),
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    email     TEXT PRIMARY KEY COLLATE NOCASE,
    failures  INTEGER NOT NULL,
    last_at   INTEGER NOT NULL
);
)sql";

// Alerts (activations.md, "Alerts") and the in-app notifications they leave. An alert watches one activation's
// delivered events or one audience's size, by key (`target`), so that it survives the activation or audience being
// re-applied; its channels are JSON ([{"type": "email", "to": [...]}, {"type": "slack", "url": "..."},
// {"type": "in_app"}]). `created_by` is the user who created it (NULL once that user is deleted: the alert
// stays); notifications belong to a user and go with them. The evaluation state (firing, last_checked_at,
// last_value) lives on the alert row.
// outbox_delivered finds an activation's events delivered in a window of finish times (the event health alert)
// without reading the outbox rows; it is partial, so only delivered events carry an entry.
constexpr const char* kV5 = R"sql(
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('event_health', 'audience_size')),
    target           TEXT NOT NULL,
    threshold_pct    REAL NOT NULL CHECK (threshold_pct > 0),
    channels         TEXT NOT NULL CHECK (json_valid(channels) AND json_type(channels) = 'array'),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    firing           INTEGER NOT NULL DEFAULT 0 CHECK (firing IN (0, 1)),
    last_checked_at  INTEGER,
    last_value       TEXT CHECK (last_value IS NULL OR json_valid(last_value))
);
CREATE INDEX alerts_by_workspace ON alerts (workspace_id, id);

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    alert_id      INTEGER REFERENCES alerts(id) ON DELETE SET NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    read_at       INTEGER
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;

CREATE INDEX outbox_delivered ON outbox (activation_id, finished_at) WHERE status = 'delivered';
)sql";

// Login throttling by key instead of by email alone: "email E from A" (one address guessing one user's password) and
// "from A" (one address guessing many), so that strangers failing from their addresses do not lock a user out of
// theirs. Counts of the old table are dropped: they were keyed by email only.
constexpr const char* kV6 = R"sql(
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    key       TEXT PRIMARY KEY,
    failures  INTEGER NOT NULL CHECK (failures >= 0),
    last_at   INTEGER NOT NULL
);
)sql";

// Segment's names for the Braze, Iterable and Segment destinations (src/deliver/catalog_*.cpp), so that a mapping
// exported from Segment applies unchanged: actions trackEvent, updateUserProfile (Braze), trackEvent, updateUser
// (Iterable); settings apiKey (Iterable) and source_write_key (Segment); a base URL that is not one of Braze's
// regional endpoints, and Iterable's and Segment's endpoint, become base_url. The destination's JSON stays canonical
// (keys sorted): it is rebuilt from its members in key order.
constexpr const char* kV7 = R"sql(
UPDATE activations SET action = CASE json_extract(destination, '$.type') || '/' || action
        WHEN 'braze/track_event' THEN 'trackEvent'
        WHEN 'braze/update_user_profile' THEN 'updateUserProfile'
        WHEN 'iterable/custom_event' THEN 'trackEvent'
        WHEN 'iterable/upsert_user' THEN 'updateUser'
        ELSE action END
    WHERE json_extract(destination, '$.type') IN ('braze', 'iterable');
UPDATE activations SET destination = (
    SELECT json_group_object(k, json(v)) FROM (
        SELECT CASE
                WHEN t = 'iterable' AND key = 'api_key' THEN 'apiKey'
                WHEN t = 'segment' AND key = 'write_key' THEN 'source_write_key'
                WHEN t IN ('iterable', 'segment') AND key = 'endpoint' THEN 'base_url'
                WHEN t = 'braze' AND key = 'endpoint' AND value NOT IN (
                    'https://rest.iad-01.braze.com', 'https://rest.iad-02.braze.com', 'https://rest.iad-03.braze.com',
                    'https://rest.iad-04.braze.com', 'https://rest.iad-05.braze.com', 'https://rest.iad-06.braze.com',
                    'https://rest.iad-07.braze.com', 'https://rest.iad-08.braze.com', 'https://rest.us-09.braze.com',
                    'https://rest.us-10.braze.com', 'https://rest.fra-01.braze.eu', 'https://rest.fra-02.braze.eu',
                    'https://rest.au-01.braze.com', 'https://rest.id-01.braze.com', 'https://rest.jp-01.braze.com')
                    THEN 'base_url'
                ELSE key END AS k,
            CASE type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'
                      WHEN 'text' THEN json_quote(value) ELSE CAST(value AS TEXT) END AS v
        FROM (SELECT json_extract(activations.destination, '$.type') AS t), json_each(activations.destination)
        ORDER BY k))
    WHERE json_extract(destination, '$.type') IN ('braze', 'iterable', 'segment');
)sql";

// The delivery overview's running totals (src/store/README.md, "Delivery overview"): the events counted per
// activation, minute of queueing time (`minute`: its first millisecond, created_at rounded down) and event name, in
// from_audience and the six steps exactly as the overview's conditions define them. Triggers keep them in the
// statement, and so the transaction, that changes an event. Events of a run that has not completed are counted apart,
// under the run's id (`run_id`; 0 holds the visible events), and join the visible ones when the run completes (and
// leave them, should a completed run change status again). Deleting a run first sets its events' run_id to NULL, what
// the foreign key's ON DELETE SET NULL would do after the run is gone, so that each event's totals follow its
// visibility. The totals of the events already queued are counted once, here.
constexpr const char* kV8 = R"sql(
CREATE TABLE outbox_totals (
    activation_id            INTEGER NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
    run_id                   INTEGER NOT NULL,
    minute                   INTEGER NOT NULL,
    event_name               TEXT NOT NULL,
    from_audience            INTEGER NOT NULL,
    filtered_at_source       INTEGER NOT NULL,
    filtered_at_destination  INTEGER NOT NULL,
    queued                   INTEGER NOT NULL,
    pending_retry            INTEGER NOT NULL,
    failed                   INTEGER NOT NULL,
    delivered                INTEGER NOT NULL,
    PRIMARY KEY (activation_id, run_id, minute, event_name)
) WITHOUT ROWID;
CREATE INDEX outbox_totals_staged ON outbox_totals (run_id) WHERE run_id <> 0;

INSERT INTO outbox_totals
SELECT activation_id, coalesce((SELECT id FROM runs WHERE id = o.run_id AND status <> 'completed'), 0),
       created_at - (created_at % 60000 + 60000) % 60000, event_name, count(*),
       sum(status = 'filtered' AND filter_stage = 'source'), sum(status = 'filtered' AND filter_stage = 'destination'),
       sum(status = 'pending' AND attempts = 0), sum(status = 'pending' AND attempts > 0),
       sum(status = 'failed'), sum(status = 'delivered')
FROM outbox o GROUP BY 1, 2, 3, 4;

CREATE TRIGGER outbox_totals_insert AFTER INSERT ON outbox BEGIN
    INSERT INTO outbox_totals VALUES (
        NEW.activation_id, coalesce((SELECT id FROM runs WHERE id = NEW.run_id AND status <> 'completed'), 0),
        NEW.created_at - (NEW.created_at % 60000 + 60000) % 60000, NEW.event_name, 1,
        NEW.status = 'filtered' AND NEW.filter_stage = 'source',
        NEW.status = 'filtered' AND NEW.filter_stage = 'destination',
        NEW.status = 'pending' AND NEW.attempts = 0, NEW.status = 'pending' AND NEW.attempts > 0,
        NEW.status = 'failed', NEW.status = 'delivered')
    ON CONFLICT (activation_id, run_id, minute, event_name) DO UPDATE SET
        from_audience = from_audience + 1,
        filtered_at_source = filtered_at_source + excluded.filtered_at_source,
        filtered_at_destination = filtered_at_destination + excluded.filtered_at_destination,
        queued = queued + excluded.queued, pending_retry = pending_retry + excluded.pending_retry,
        failed = failed + excluded.failed, delivered = delivered + excluded.delivered;
END;

CREATE TRIGGER outbox_totals_delete AFTER DELETE ON outbox BEGIN
    UPDATE outbox_totals SET
        from_audience = from_audience - 1,
        filtered_at_source = filtered_at_source - (OLD.status = 'filtered' AND OLD.filter_stage = 'source'),
        filtered_at_destination = filtered_at_destination
            - (OLD.status = 'filtered' AND OLD.filter_stage = 'destination'),
        queued = queued - (OLD.status = 'pending' AND OLD.attempts = 0),
        pending_retry = pending_retry - (OLD.status = 'pending' AND OLD.attempts > 0),
        failed = failed - (OLD.status = 'failed'), delivered = delivered - (OLD.status = 'delivered')
    WHERE activation_id = OLD.activation_id
      AND run_id = coalesce((SELECT id FROM runs WHERE id = OLD.run_id AND status <> 'completed'), 0)
      AND minute = OLD.created_at - (OLD.created_at % 60000 + 60000) % 60000 AND event_name = OLD.event_name;
    DELETE FROM outbox_totals
    WHERE activation_id = OLD.activation_id
      AND run_id = coalesce((SELECT id FROM runs WHERE id = OLD.run_id AND status <> 'completed'), 0)
      AND minute = OLD.created_at - (OLD.created_at % 60000 + 60000) % 60000 AND event_name = OLD.event_name
      AND from_audience = 0;
END;

CREATE TRIGGER outbox_totals_step AFTER UPDATE OF status, attempts, filter_stage ON outbox
WHEN (OLD.status <> NEW.status OR OLD.filter_stage <> NEW.filter_stage OR (OLD.attempts = 0) <> (NEW.attempts = 0)
      OR (OLD.attempts > 0) <> (NEW.attempts > 0))
    AND OLD.activation_id = NEW.activation_id AND OLD.run_id IS NEW.run_id AND OLD.created_at = NEW.created_at
    AND OLD.event_name = NEW.event_name
BEGIN
    UPDATE outbox_totals SET
        filtered_at_source = filtered_at_source - (OLD.status = 'filtered' AND OLD.filter_stage = 'source')
            + (NEW.status = 'filtered' AND NEW.filter_stage = 'source'),
        filtered_at_destination = filtered_at_destination
            - (OLD.status = 'filtered' AND OLD.filter_stage = 'destination')
            + (NEW.status = 'filtered' AND NEW.filter_stage = 'destination'),
        queued = queued - (OLD.status = 'pending' AND OLD.attempts = 0) + (NEW.status = 'pending' AND NEW.attempts = 0),
        pending_retry = pending_retry - (OLD.status = 'pending' AND OLD.attempts > 0)
            + (NEW.status = 'pending' AND NEW.attempts > 0),
        failed = failed - (OLD.status = 'failed') + (NEW.status = 'failed'),
        delivered = delivered - (OLD.status = 'delivered') + (NEW.status = 'delivered')
    WHERE activation_id = NEW.activation_id
      AND run_id = coalesce((SELECT id FROM runs WHERE id = NEW.run_id AND status <> 'completed'), 0)
      AND minute = NEW.created_at - (NEW.created_at % 60000 + 60000) % 60000 AND event_name = NEW.event_name;
END;

CREATE TRIGGER outbox_totals_move AFTER UPDATE OF activation_id, run_id, created_at, event_name ON outbox
WHEN OLD.activation_id <> NEW.activation_id OR OLD.run_id IS NOT NEW.run_id OR OLD.created_at <> NEW.created_at
    OR OLD.event_name <> NEW.event_name
BEGIN
    UPDATE outbox_totals SET
        from_audience = from_audience - 1,
        filtered_at_source = filtered_at_source - (OLD.status = 'filtered' AND OLD.filter_stage = 'source'),
        filtered_at_destination = filtered_at_destination
            - (OLD.status = 'filtered' AND OLD.filter_stage = 'destination'),
        queued = queued - (OLD.status = 'pending' AND OLD.attempts = 0),
        pending_retry = pending_retry - (OLD.status = 'pending' AND OLD.attempts > 0),
        failed = failed - (OLD.status = 'failed'), delivered = delivered - (OLD.status = 'delivered')
    WHERE activation_id = OLD.activation_id
      AND run_id = coalesce((SELECT id FROM runs WHERE id = OLD.run_id AND status <> 'completed'), 0)
      AND minute = OLD.created_at - (OLD.created_at % 60000 + 60000) % 60000 AND event_name = OLD.event_name;
    DELETE FROM outbox_totals
    WHERE activation_id = OLD.activation_id
      AND run_id = coalesce((SELECT id FROM runs WHERE id = OLD.run_id AND status <> 'completed'), 0)
      AND minute = OLD.created_at - (OLD.created_at % 60000 + 60000) % 60000 AND event_name = OLD.event_name
      AND from_audience = 0;
    INSERT INTO outbox_totals VALUES (
        NEW.activation_id, coalesce((SELECT id FROM runs WHERE id = NEW.run_id AND status <> 'completed'), 0),
        NEW.created_at - (NEW.created_at % 60000 + 60000) % 60000, NEW.event_name, 1,
        NEW.status = 'filtered' AND NEW.filter_stage = 'source',
        NEW.status = 'filtered' AND NEW.filter_stage = 'destination',
        NEW.status = 'pending' AND NEW.attempts = 0, NEW.status = 'pending' AND NEW.attempts > 0,
        NEW.status = 'failed', NEW.status = 'delivered')
    ON CONFLICT (activation_id, run_id, minute, event_name) DO UPDATE SET
        from_audience = from_audience + 1,
        filtered_at_source = filtered_at_source + excluded.filtered_at_source,
        filtered_at_destination = filtered_at_destination + excluded.filtered_at_destination,
        queued = queued + excluded.queued, pending_retry = pending_retry + excluded.pending_retry,
        failed = failed + excluded.failed, delivered = delivered + excluded.delivered;
END;

CREATE TRIGGER outbox_totals_run_completed AFTER UPDATE OF status ON runs
WHEN NEW.status = 'completed' AND OLD.status <> 'completed'
BEGIN
    INSERT INTO outbox_totals
    SELECT activation_id, 0, minute, event_name, from_audience, filtered_at_source, filtered_at_destination, queued,
           pending_retry, failed, delivered
    FROM outbox_totals WHERE run_id = NEW.id AND run_id <> 0
    ON CONFLICT (activation_id, run_id, minute, event_name) DO UPDATE SET
        from_audience = from_audience + excluded.from_audience,
        filtered_at_source = filtered_at_source + excluded.filtered_at_source,
        filtered_at_destination = filtered_at_destination + excluded.filtered_at_destination,
        queued = queued + excluded.queued, pending_retry = pending_retry + excluded.pending_retry,
        failed = failed + excluded.failed, delivered = delivered + excluded.delivered;
    DELETE FROM outbox_totals WHERE run_id = NEW.id AND run_id <> 0;
END;

CREATE TRIGGER outbox_totals_run_reopened AFTER UPDATE OF status ON runs
WHEN OLD.status = 'completed' AND NEW.status <> 'completed'
BEGIN
    INSERT INTO outbox_totals
    SELECT activation_id, NEW.id, created_at - (created_at % 60000 + 60000) % 60000 AS m, event_name, count(*),
           sum(status = 'filtered' AND filter_stage = 'source'),
           sum(status = 'filtered' AND filter_stage = 'destination'),
           sum(status = 'pending' AND attempts = 0), sum(status = 'pending' AND attempts > 0),
           sum(status = 'failed'), sum(status = 'delivered')
    FROM outbox WHERE run_id = NEW.id GROUP BY activation_id, m, event_name;
    UPDATE outbox_totals SET
        from_audience = outbox_totals.from_audience - s.from_audience,
        filtered_at_source = outbox_totals.filtered_at_source - s.filtered_at_source,
        filtered_at_destination = outbox_totals.filtered_at_destination - s.filtered_at_destination,
        queued = outbox_totals.queued - s.queued, pending_retry = outbox_totals.pending_retry - s.pending_retry,
        failed = outbox_totals.failed - s.failed, delivered = outbox_totals.delivered - s.delivered
    FROM outbox_totals AS s
    WHERE s.run_id = NEW.id AND s.run_id <> 0 AND outbox_totals.activation_id = s.activation_id
      AND outbox_totals.run_id = 0 AND outbox_totals.minute = s.minute AND outbox_totals.event_name = s.event_name;
    DELETE FROM outbox_totals WHERE run_id = 0 AND from_audience = 0
      AND activation_id IN (SELECT activation_id FROM outbox_totals WHERE run_id = NEW.id AND run_id <> 0);
END;

CREATE TRIGGER outbox_totals_run_deleted BEFORE DELETE ON runs BEGIN
    UPDATE outbox SET run_id = NULL WHERE run_id = OLD.id;
END;
)sql";

// A run stages its events in big transactions and adds each batch's totals itself, one row per key, where the
// trigger took a step per event (a third of the time of a bulk insert). The switch is set only inside the
// staging transaction, so no other writer ever sees it set.
constexpr const char* kV9 = R"sql(
CREATE TABLE outbox_totals_switch (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    by_batch  INTEGER NOT NULL CHECK (by_batch IN (0, 1))
);
INSERT INTO outbox_totals_switch VALUES (1, 0);

DROP TRIGGER outbox_totals_insert;
CREATE TRIGGER outbox_totals_insert AFTER INSERT ON outbox
WHEN (SELECT by_batch FROM outbox_totals_switch WHERE id = 1) = 0
BEGIN
    INSERT INTO outbox_totals VALUES (
        NEW.activation_id, coalesce((SELECT id FROM runs WHERE id = NEW.run_id AND status <> 'completed'), 0),
        NEW.created_at - (NEW.created_at % 60000 + 60000) % 60000, NEW.event_name, 1,
        NEW.status = 'filtered' AND NEW.filter_stage = 'source',
        NEW.status = 'filtered' AND NEW.filter_stage = 'destination',
        NEW.status = 'pending' AND NEW.attempts = 0, NEW.status = 'pending' AND NEW.attempts > 0,
        NEW.status = 'failed', NEW.status = 'delivered')
    ON CONFLICT (activation_id, run_id, minute, event_name) DO UPDATE SET
        from_audience = from_audience + 1,
        filtered_at_source = filtered_at_source + excluded.filtered_at_source,
        filtered_at_destination = filtered_at_destination + excluded.filtered_at_destination,
        queued = queued + excluded.queued, pending_retry = pending_retry + excluded.pending_retry,
        failed = failed + excluded.failed, delivered = delivered + excluded.delivered;
END;
)sql";

// The outbox's unique key becomes (activation, dedup key): the text a messageId hashes, but for the activation
// (run::DedupKey), which orders a run's events as it reads them, by profile. Under the unique messageId, every event
// of a bulk insert landed at a random place in an index larger than the page cache, and each transaction rewrote
// about one index page per event: the cost of staging grew with the outbox (README, "Runs": bench/outbox_growth.py
// fell from 28,800 to 18,300 events/s as the outbox grew to 4M events). An event stored without a key (NULL: those queued before this step, and any queued without
// one) is keyed by its messageId, which is unique as before: keys and messageIds never meet, since a key holds
// U+001F separators and a messageId does not. SQLite cannot drop a column's UNIQUE, so the table is rebuilt (the
// store puts its other indexes and triggers back: Migration::rebuilds), and the totals, which count the same
// rows, are left as they are.
constexpr const char* kV10 = R"sql(
CREATE TABLE outbox_rebuilt (
    id               INTEGER PRIMARY KEY,
    activation_id    INTEGER NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
    run_id           INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    message_id       TEXT NOT NULL,
    event_name       TEXT NOT NULL DEFAULT '',
    payload          TEXT NOT NULL CHECK (json_valid(payload)),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'filtered')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    filter_stage     TEXT NOT NULL DEFAULT '' CHECK (filter_stage IN ('', 'source', 'destination')),
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    last_status      INTEGER NOT NULL DEFAULT 0,
    dedup_key        TEXT
);
INSERT INTO outbox_rebuilt (id, activation_id, run_id, message_id, event_name, payload, status, attempts,
                            next_attempt_at, last_error, filter_stage, created_at, finished_at, last_status)
SELECT id, activation_id, run_id, message_id, event_name, payload, status, attempts, next_attempt_at, last_error,
       filter_stage, created_at, finished_at, last_status
FROM outbox ORDER BY id;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE UNIQUE INDEX outbox_dedup ON outbox (activation_id, coalesce(dedup_key, message_id));
)sql";

constexpr Migration kMigrations[] = {
    {1, "workspaces, audiences with history, activations, runs, snapshots, outbox", kV1},
    {2, "run workers and baselines, change tables of snapshots, outbox events by run", kV2},
    {3, "status code of an outbox event's last attempt, the delivery overview's covering index", kV3},
    {4, "users, sessions, API tokens, failed logins", kV4},
    {5, "alerts with their evaluation state, in-app notifications, delivered events by finish time", kV5},
    {6, "login throttling by email and address, and by address", kV6},
    {7, "Segment's names of the Braze, Iterable and Segment destinations' actions and settings", kV7},
    {8, "the delivery overview's running totals per activation, event name and minute, kept by triggers", kV8},
    {9, "a run's staged events add their totals once per batch", kV9},
    {10, "the outbox is unique by activation and dedup key, in the order runs stage their events", kV10, "outbox"},
};

} // namespace

std::span<const Migration> Migrations() { return kMigrations; }

} // namespace kith::store
