"""Schema migrations, in order. A migration is never edited once released; add a new one."""

from __future__ import annotations

# The board rows of the notice a trigger sees as `new`: part of migration 16, never edited.
_BOARD_ROWS_OF_NEW = """INSERT OR IGNORE INTO notice_audience (audience, id, valid_from,
            valid_until, category, priority, published_at, lamport, event_start, event_end,
            audiences)
        SELECT a.audience, new.id, new.valid_from, new.valid_until, new.category, new.priority,
            new.published_at, new.lamport, new.event_start, new.event_end,
            max(1, json_array_length(new.target_hubs) + json_array_length(new.target_groups))
        FROM (SELECT '*' AS audience WHERE new.target_hubs = '[]' AND new.target_groups = '[]'
            UNION ALL SELECT 'h:' || value FROM json_each(new.target_hubs)
            UNION ALL SELECT 'g:' || value FROM json_each(new.target_groups)) a
        WHERE new.op_id IS NOT NULL AND new.retract_op IS NULL;"""

MIGRATIONS: list[str] = [
    # 1: the log, its bookkeeping, and the first views.
    """
    CREATE TABLE network (
        id TEXT PRIMARY KEY,
        root_key TEXT
    );
    CREATE TABLE ops (
        id TEXT PRIMARY KEY,
        author TEXT NOT NULL,
        seq INTEGER NOT NULL,
        lamport INTEGER NOT NULL,
        time INTEGER NOT NULL,
        kind TEXT NOT NULL,
        entity TEXT NOT NULL,
        header BLOB NOT NULL,
        signature BLOB NOT NULL,
        body BLOB,
        UNIQUE (author, seq)
    );
    CREATE INDEX ops_entity ON ops (entity, kind);
    CREATE INDEX ops_lamport ON ops (lamport);
    CREATE TABLE versions (
        author TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        head TEXT NOT NULL
    );
    CREATE TABLE parked_ops (
        id TEXT PRIMARY KEY,
        author TEXT NOT NULL,
        seq INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('held', 'rejected')),
        reason TEXT NOT NULL,
        header BLOB NOT NULL,
        signature BLOB NOT NULL,
        body BLOB
    );
    CREATE INDEX parked_author ON parked_ops (author, seq);
    CREATE TABLE quarantine (
        author TEXT PRIMARY KEY,
        kept_op TEXT NOT NULL,
        conflicting_header BLOB NOT NULL,
        conflicting_signature BLOB NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE TABLE keys (
        key TEXT PRIMARY KEY,
        seal TEXT NOT NULL,
        name TEXT NOT NULL,
        groups TEXT NOT NULL,
        grants TEXT NOT NULL,
        name_lamport INTEGER NOT NULL,
        name_author TEXT NOT NULL,
        revoked_after_seq INTEGER,
        revoke_op TEXT REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED
    );
    CREATE TABLE notices (
        id TEXT PRIMARY KEY,
        op_id TEXT REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        author TEXT,
        lamport INTEGER,
        title TEXT,
        body TEXT,
        category TEXT,
        priority TEXT,
        valid_from INTEGER,
        valid_until INTEGER,
        event_start INTEGER,
        event_end INTEGER,
        place TEXT,
        target_hubs TEXT,
        target_groups TEXT,
        attachments TEXT,
        published_at INTEGER,
        updated_at INTEGER,
        retract_op TEXT REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        retracted_at INTEGER
    );
    CREATE INDEX notices_active ON notices (retract_op, valid_from, valid_until);
    CREATE VIRTUAL TABLE notices_fts USING fts5 (
        title, body, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        size INTEGER NOT NULL
    );
    CREATE TABLE node_status (
        node TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        lamport INTEGER NOT NULL,
        time INTEGER NOT NULL,
        body TEXT
    );
    CREATE TABLE sealed_items (
        op_id TEXT PRIMARY KEY REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        kind TEXT NOT NULL,
        entity TEXT NOT NULL,
        author TEXT NOT NULL,
        time INTEGER NOT NULL,
        sealed_to TEXT NOT NULL
    );
    """,
    # 2: local sync bookkeeping (not views: each node's own knowledge of its peers).
    """
    CREATE TABLE peers (
        url TEXT PRIMARY KEY,
        node TEXT,
        name TEXT,
        last_success INTEGER,
        last_failure INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        peer_vector TEXT,
        in_sync INTEGER NOT NULL DEFAULT 0,
        bytes_in INTEGER NOT NULL DEFAULT 0,
        bytes_out INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE enrollments (
        code TEXT PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        seal TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        approved_op TEXT
    );
    """,
    # 3: room sensors: rollups and alerts (views of sensor.rollup / sensor.alert ops), and the
    # hub's raw readings (local, never synced, kept 7 days).
    """
    CREATE TABLE sensor_rollups (
        id TEXT PRIMARY KEY,
        entity TEXT NOT NULL,
        hub TEXT NOT NULL,
        sensor TEXT NOT NULL,
        quantity TEXT NOT NULL,
        unit TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        window_end INTEGER NOT NULL,
        mean REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        count INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        flags TEXT NOT NULL,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        lamport INTEGER NOT NULL
    );
    CREATE INDEX sensor_rollups_entity ON sensor_rollups (entity);
    CREATE INDEX sensor_rollups_series ON sensor_rollups (hub, quantity, window_end);
    CREATE TABLE sensor_alerts (
        id TEXT PRIMARY KEY,
        hub TEXT NOT NULL,
        sensor TEXT NOT NULL,
        rule TEXT NOT NULL,
        quantity TEXT NOT NULL,
        level TEXT NOT NULL,
        state TEXT NOT NULL,
        priority TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        table_version TEXT NOT NULL,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        lamport INTEGER NOT NULL
    );
    CREATE INDEX sensor_alerts_hub ON sensor_alerts (hub, state);
    CREATE TABLE sensor_readings (
        time_ms INTEGER NOT NULL,
        sensor TEXT NOT NULL,
        quantity TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT NOT NULL,
        status TEXT NOT NULL
    );
    CREATE INDEX sensor_readings_time ON sensor_readings (time_ms);
    CREATE INDEX sensor_readings_series ON sensor_readings (sensor, quantity, time_ms);
    """,
    # 4: the notice search index keeps no token positions (queries are prefix words, never
    # phrases) and no spelt-out umlaut copies (the query side expands them): content/search.py.
    """
    DROP TABLE notices_fts;
    CREATE VIRTUAL TABLE notices_fts USING fts5 (
        title, body, tokenize = 'unicode61 remove_diacritics 2', detail = none
    );
    INSERT INTO notices_fts (rowid, title, body)
        SELECT rowid, dorfhub_search_text(title), dorfhub_search_text(body) FROM notices
        WHERE title IS NOT NULL AND retract_op IS NULL;
    """,
    # 5: the state of each help request (view of help.update ops, last writer wins), keyed by
    # request id so that an update may arrive before its request; help.update ops a node already
    # holds are folded in here.
    """
    CREATE TABLE help_states (
        request_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        author TEXT NOT NULL,
        lamport INTEGER NOT NULL,
        time INTEGER NOT NULL
    );
    INSERT INTO help_states
        SELECT entity, json_extract(CAST(body AS TEXT), '$.state'), id, author, lamport, time
        FROM ops o WHERE kind = 'help.update' AND body IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM ops p WHERE p.kind = 'help.update' AND p.entity = o.entity
            AND (p.lamport > o.lamport OR (p.lamport = o.lamport AND p.author > o.author)));
    """,
    # 6: telemedicine booking (content/booking*.py): views of practice.meta, slot.publish /
    # slot.withdraw, booking.request, booking.decision and booking.cancel; the state of each
    # request as an SQL view over them (order-independent: computed when read); and, local to
    # the town server, the seats whose trigger enforces capacity and the practices' feed tokens.
    """
    CREATE TABLE practices (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        phone TEXT NOT NULL,
        specialty TEXT NOT NULL,
        video_url TEXT NOT NULL,
        services TEXT NOT NULL,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        author TEXT NOT NULL,
        lamport INTEGER NOT NULL
    );
    CREATE TABLE slots (
        id TEXT PRIMARY KEY,
        practice TEXT NOT NULL,
        service_id TEXT,
        service TEXT,
        start INTEGER,
        end INTEGER,
        capacity INTEGER,
        place TEXT,
        op_id TEXT REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        author TEXT,
        lamport INTEGER,
        withdraw_op TEXT REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        withdrawn_at INTEGER
    );
    CREATE INDEX slots_practice_start ON slots (practice, start);
    CREATE INDEX slots_start ON slots (start);
    CREATE TABLE booking_requests (
        id TEXT PRIMARY KEY,
        slot_id TEXT NOT NULL,
        author TEXT NOT NULL,
        on_behalf INTEGER NOT NULL,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        lamport INTEGER NOT NULL,
        time INTEGER NOT NULL
    );
    CREATE INDEX booking_requests_slot ON booking_requests (slot_id);
    CREATE TABLE booking_decisions (
        request_id TEXT PRIMARY KEY,
        slot_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT,
        alternatives TEXT NOT NULL,
        reason TEXT,
        op_id TEXT NOT NULL REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        author TEXT NOT NULL,
        lamport INTEGER NOT NULL,
        time INTEGER NOT NULL
    );
    CREATE INDEX booking_decisions_slot ON booking_decisions (slot_id, outcome);
    CREATE INDEX booking_decisions_code ON booking_decisions (code);
    CREATE TABLE booking_cancels (
        op_id TEXT PRIMARY KEY REFERENCES ops (id) DEFERRABLE INITIALLY DEFERRED,
        request_id TEXT NOT NULL,
        author TEXT NOT NULL,
        code TEXT,
        reason TEXT NOT NULL,
        lamport INTEGER NOT NULL,
        time INTEGER NOT NULL
    );
    CREATE INDEX booking_cancels_request ON booking_cancels (request_id);
    CREATE VIEW booking_states AS
    SELECT *, CASE
            WHEN outcome = 'rejected' THEN 'rejected'
            WHEN cancelled_at IS NOT NULL THEN 'cancelled'
            WHEN outcome = 'confirmed' THEN 'confirmed'
            ELSE 'pending' END AS state
    FROM (
        SELECT ids.id AS request_id,
            substr(ids.id, 3, 77) AS slot_id,
            substr(ids.id, 5, 64) AS practice,
            substr(ids.id, 81, 1) = 'g' AS on_behalf,
            r.author AS requester,
            r.time AS requested_at,
            d.outcome, d.code, d.alternatives, d.reason, d.time AS decided_at,
            d.author AS decided_by,
            (SELECT min(x.time) FROM booking_cancels x WHERE x.request_id = ids.id AND (
                substr(x.author, 1, 32) = substr(ids.id, 83, 32)
                OR x.author = substr(ids.id, 5, 64)
                OR (x.code IS NOT NULL AND x.code = d.code)
                OR x.author IN (SELECT k.key FROM keys k, json_each(k.grants) g
                                WHERE json_extract(g.value, '$.role') = 'server'))
            ) AS cancelled_at
        FROM (SELECT id FROM booking_requests UNION SELECT request_id FROM booking_decisions) ids
        LEFT JOIN booking_requests r ON r.id = ids.id
        LEFT JOIN booking_decisions d ON d.request_id = ids.id
    );
    CREATE TABLE booking_seats (
        slot_id TEXT NOT NULL,
        seat_no INTEGER NOT NULL CHECK (seat_no >= 0),
        request_id TEXT NOT NULL UNIQUE,
        taken_at INTEGER NOT NULL,
        PRIMARY KEY (slot_id, seat_no)
    );
    CREATE TRIGGER booking_seats_capacity BEFORE INSERT ON booking_seats
    WHEN (SELECT count(*) FROM booking_seats WHERE slot_id = NEW.slot_id)
        >= coalesce((SELECT capacity FROM slots WHERE id = NEW.slot_id
                     AND withdraw_op IS NULL AND start IS NOT NULL), 0)
    BEGIN
        SELECT RAISE(ABORT, 'booking_seats: the slot has no free seat');
    END;
    CREATE TABLE feed_tokens (
        practice TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL
    );
    """,
    # 7: the Lamport index goes: an author's Lamport clock only rises, so the highest one is at
    # some author's head (content/log.py append_in), and every ingested op paid to maintain it.
    """
    DROP INDEX ops_lamport;
    """,
    # 8: the moments a notice list changes with no op to tell (a notice starts or stops showing,
    # an event ends), found by an index seek: the kiosk reads its lists again then.
    """
    CREATE INDEX notices_ends ON notices (valid_until) WHERE retract_op IS NULL;
    CREATE INDEX notices_event_ends ON notices (coalesce(event_end, event_start))
        WHERE retract_op IS NULL;
    """,
    # 9: a count of ops stored and taken out, kept by triggers whatever the code path. Every view
    # is folded from the log, so a reader that sees a commit can tell a new op from the hub's
    # own bookkeeping (sensor readings every few seconds, sync cursors) without re-reading.
    """
    CREATE TABLE log_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        count INTEGER NOT NULL
    );
    INSERT INTO log_changes VALUES (1, 0);
    CREATE TRIGGER ops_stored AFTER INSERT ON ops
    BEGIN
        UPDATE log_changes SET count = count + 1;
    END;
    CREATE TRIGGER ops_taken_out AFTER DELETE ON ops
    BEGIN
        UPDATE log_changes SET count = count + 1;
    END;
    """,
    # 10: what the limits of content/limits.py made a node drop (held ops, enrollment requests,
    # nonces, connections), counted so that `dorfhub status` shows a node under attack.
    """
    CREATE TABLE dropped (
        what TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        last_at INTEGER NOT NULL
    );
    """,
    # 11: parked ops are capped (content/limits.py MAX_HELD_OPS, MAX_HELD_BYTES), evicted in the
    # order they arrived, by their size; an op held because its Lamport clock jumps too far
    # ahead keeps that clock, indexed, so a rise of the node's clock finds what it releases.
    """
    ALTER TABLE parked_ops ADD COLUMN arrived INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE parked_ops ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE parked_ops ADD COLUMN jump_lamport INTEGER;
    UPDATE parked_ops SET arrived = rowid, size = length(header) + coalesce(length(body), 0);
    CREATE UNIQUE INDEX parked_arrival ON parked_ops (arrived);
    CREATE INDEX parked_jump ON parked_ops (jump_lamport) WHERE jump_lamport IS NOT NULL;
    """,
    # 12: a booking request's id names the server that decides it (content/booking_ids.py):
    # of the servers, only that one's cancel counts, not any key an admin grants the role.
    """
    DROP VIEW booking_states;
    CREATE VIEW booking_states AS
    SELECT *, CASE
            WHEN outcome = 'rejected' THEN 'rejected'
            WHEN cancelled_at IS NOT NULL THEN 'cancelled'
            WHEN outcome = 'confirmed' THEN 'confirmed'
            ELSE 'pending' END AS state
    FROM (
        SELECT ids.id AS request_id,
            substr(ids.id, 3, 77) AS slot_id,
            substr(ids.id, 5, 64) AS practice,
            substr(ids.id, 81, 1) = 'g' AS on_behalf,
            r.author AS requester,
            r.time AS requested_at,
            d.outcome, d.code, d.alternatives, d.reason, d.time AS decided_at,
            d.author AS decided_by,
            (SELECT min(x.time) FROM booking_cancels x WHERE x.request_id = ids.id AND (
                substr(x.author, 1, 32) = substr(ids.id, 83, 32)
                OR x.author = substr(ids.id, 5, 64)
                OR (x.code IS NOT NULL AND x.code = d.code)
                OR substr(x.author, 1, 32) = substr(ids.id, 116, 32))
            ) AS cancelled_at
        FROM (SELECT id FROM booking_requests UNION SELECT request_id FROM booking_decisions) ids
        LEFT JOIN booking_requests r ON r.id = ids.id
        LEFT JOIN booking_decisions d ON d.request_id = ids.id
    );
    """,
    # 13: the booking_states view goes: which cancel counts is defined once, in
    # content/booking_views.py, and every query is made from it (the view was a copy that
    # drifted). The hub's keys to its help requests (content/help_hub_keys.py) get their table
    # here, not on first use; a hub that made one already keeps it.
    """
    DROP VIEW booking_states;
    CREATE TABLE IF NOT EXISTS hub_help_keys (
        request_id TEXT PRIMARY KEY,
        private_key BLOB,
        created_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 14: erasing on time (content/retention_due.py). The trusted time each foreign op that a
    # retention period counts from reached this node bounds its signed time (ops without a row,
    # local or held before: their own time); the moment each sealed body held here falls due
    # is indexed, so the daemons run when the earliest comes. The index starts empty: the
    # daemons' first run fills it.
    """
    CREATE TABLE arrivals (
        op_id TEXT PRIMARY KEY,
        arrived INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE sealed_due (
        op_id TEXT PRIMARY KEY,
        entity TEXT NOT NULL,
        due INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sealed_due_at ON sealed_due (due);
    CREATE INDEX sealed_due_entity ON sealed_due (entity);
    """,
    # 15: the how-to library (content/articles.py): each article's winning version, its
    # targets and its pictures' files (which a hub's peers send it: content/relay.py).
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        op_id TEXT,
        author TEXT,
        lamport INTEGER,
        body TEXT,
        target_hubs TEXT,
        target_groups TEXT,
        pictures TEXT,
        published_at INTEGER,
        updated_at INTEGER,
        retract_op TEXT,
        retracted_at INTEGER
    );
    """,
    # 16: a hub's board as rows: one per live notice and audience ('*' every hub, 'h:<hub key>',
    # 'g:<group>'), with what the board filters and sorts by and how many audiences the notice
    # has (one, mostly: then no other row of it can match the same hub), kept by triggers.
    # A hub's count and page read only its own rows by index instead of every live notice's
    # row and two JSON lists (content.notices: 15-20 ms at 10,000 notices, issue 20). Keyed by
    # the notice's id, not its rowid, which a VACUUM may renumber.
    f"""
    CREATE TABLE notice_audience (
        audience TEXT NOT NULL,
        id TEXT NOT NULL,
        valid_from INTEGER,
        valid_until INTEGER,
        category TEXT,
        priority TEXT,
        published_at INTEGER,
        lamport INTEGER,
        event_start INTEGER,
        event_end INTEGER,
        audiences INTEGER NOT NULL,
        PRIMARY KEY (audience, valid_from, id)
    ) WITHOUT ROWID;
    CREATE INDEX notice_audience_id ON notice_audience (id);
    CREATE TRIGGER notice_audience_added AFTER INSERT ON notices BEGIN
        {_BOARD_ROWS_OF_NEW}
    END;
    CREATE TRIGGER notice_audience_changed AFTER UPDATE ON notices BEGIN
        DELETE FROM notice_audience WHERE id = old.id;
        {_BOARD_ROWS_OF_NEW}
    END;
    CREATE TRIGGER notice_audience_gone AFTER DELETE ON notices BEGIN
        DELETE FROM notice_audience WHERE id = old.id;
    END;
    INSERT INTO notice_audience
        SELECT a.audience, n.id, n.valid_from, n.valid_until, n.category, n.priority,
            n.published_at, n.lamport, n.event_start, n.event_end,
            max(1, json_array_length(n.target_hubs) + json_array_length(n.target_groups))
        FROM notices n, (SELECT '*' AS audience, n2.id AS of FROM notices n2
                WHERE n2.target_hubs = '[]' AND n2.target_groups = '[]'
            UNION ALL SELECT 'h:' || t.value, n2.id FROM notices n2, json_each(n2.target_hubs) t
            UNION ALL SELECT 'g:' || t.value, n2.id FROM notices n2, json_each(n2.target_groups) t
        ) a
        WHERE a.of = n.id AND n.op_id IS NOT NULL AND n.retract_op IS NULL
        GROUP BY a.audience, n.id;
    """,
]
