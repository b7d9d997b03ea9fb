-- pg_stream.sql — herd's stream store on PostgreSQL: one message table for every room, a
-- dedup table keyed by the client message id, and a row per room that numbers its
-- messages and remembers the largest trimmed id.
--
-- The recipe herd's store model claims to match (see docs/stores.md for where it does
-- not); tests/real/test_pg_diff.c loads this very file. Ids are per room and dense
-- (1, 2, 3 ...): herd_room.last_id is Redis's last-generated-id, and max_deleted its
-- max-deleted-entry-id. Taking the room row's lock for the id also means publishes to one
-- room commit in id order, so "read after id" never skips a row committed later (a
-- bigserial id does not give that: see docs/stores.md). Times are microseconds, passed in
-- (p_now_us), so a test can drive them; in production pass the clock or use the default.

CREATE TABLE IF NOT EXISTS herd_room (
    room        integer PRIMARY KEY,
    last_id     bigint  NOT NULL DEFAULT 0, -- last id handed out (survives trims)
    max_deleted bigint  NOT NULL DEFAULT 0  -- largest trimmed id, 0 if none
);

CREATE TABLE IF NOT EXISTS herd_message (
    room       integer NOT NULL,
    id         bigint  NOT NULL,
    msg        bigint  NOT NULL, -- the client message id
    created_us bigint  NOT NULL,
    PRIMARY KEY (room, id)
);

CREATE TABLE IF NOT EXISTS herd_dedup (
    msg         bigint  PRIMARY KEY, -- the client message id: UNIQUE, the dedup key
    room        integer NOT NULL,
    id          bigint  NOT NULL,    -- where the message went
    inserted_us bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS herd_dedup_inserted ON herd_dedup (inserted_us);

-- Dedup-then-publish, atomically. status 1: appended as (room, id); status 2: a duplicate
-- of the message already at (room, id) (its first publish's room). A dedup record older than p_window_us (0: no
-- limit) no longer counts. The dedup record outlives trims of herd_message: a resend of a
-- message whose row was trimmed is still a duplicate, as in herd's model.
CREATE OR REPLACE FUNCTION herd_publish(p_room integer, p_msg bigint, p_window_us bigint,
                                        p_now_us bigint DEFAULT
                                            (extract(epoch FROM clock_timestamp()) * 1e6)::bigint,
                                        OUT status integer, OUT room integer, OUT id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF p_window_us > 0 THEN
        DELETE FROM herd_dedup d WHERE d.msg = p_msg AND d.inserted_us + p_window_us <= p_now_us;
    END IF;
    SELECT d.room, d.id INTO room, id FROM herd_dedup d WHERE d.msg = p_msg;
    IF FOUND THEN
        status := 2;
        RETURN;
    END IF;
    -- the room row's lock orders this room's publishes until commit
    INSERT INTO herd_room AS r (room, last_id) VALUES (p_room, 1)
        ON CONFLICT (room) DO UPDATE SET last_id = r.last_id + 1
        RETURNING r.last_id INTO id;
    INSERT INTO herd_dedup (msg, room, id, inserted_us) VALUES (p_msg, p_room, id, p_now_us)
        ON CONFLICT (msg) DO NOTHING;
    IF NOT FOUND THEN -- a concurrent publish of the same message won: report its entry
        SELECT d.room, d.id INTO room, id FROM herd_dedup d WHERE d.msg = p_msg;
        status := 2;
        RETURN;
    END IF;
    INSERT INTO herd_message (room, id, msg, created_us) VALUES (p_room, id, p_msg, p_now_us);
    room := p_room;
    status := 1;
END $$;

-- Raise a room's max_deleted to the largest id in a trim's victims.
CREATE OR REPLACE FUNCTION herd_note_deleted(p_room integer, p_cut bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE herd_room SET max_deleted = greatest(max_deleted, p_cut)
     WHERE room = p_room AND p_cut IS NOT NULL;
$$;

-- Keep the newest p_maxlen messages of a room (XTRIM MAXLEN =). Returns the count removed.
CREATE OR REPLACE FUNCTION herd_trim_maxlen(p_room integer, p_maxlen bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE cut bigint; n bigint;
BEGIN
    SELECT m.id INTO cut FROM herd_message m WHERE m.room = p_room
     ORDER BY m.id DESC OFFSET p_maxlen LIMIT 1;
    IF cut IS NULL THEN RETURN 0; END IF;
    DELETE FROM herd_message m WHERE m.room = p_room AND m.id <= cut;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM herd_note_deleted(p_room, cut);
    RETURN n;
END $$;

-- Remove a room's messages created before p_cutoff_us (trimming by age; XTRIM MINID
-- <cutoff ms>-0 on a stream whose ids carry the creation time). Returns the count removed.
CREATE OR REPLACE FUNCTION herd_trim_before(p_room integer, p_cutoff_us bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE cut bigint; n bigint;
BEGIN
    WITH gone AS (DELETE FROM herd_message m WHERE m.room = p_room AND m.created_us < p_cutoff_us
                  RETURNING m.id)
    SELECT count(*), max(gone.id) INTO n, cut FROM gone;
    PERFORM herd_note_deleted(p_room, cut);
    RETURN n;
END $$;

-- Forget dedup records older than the window (housekeeping; herd_publish already ignores
-- them). Returns the count removed.
CREATE OR REPLACE FUNCTION herd_dedup_expire(p_window_us bigint, p_now_us bigint) RETURNS bigint
LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM herd_dedup WHERE inserted_us + p_window_us <= p_now_us RETURNING 1)
    SELECT count(*) FROM gone;
$$;

-- Reads: the messages of a room after an id, in order, at most a limit:
--   SELECT id, msg FROM herd_message WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3;
-- and what a reader needs to see a gap (first id, count, last_id, max_deleted):
--   SELECT (SELECT min(id) FROM herd_message WHERE room = $1),
--          (SELECT count(*) FROM herd_message WHERE room = $1), r.last_id, r.max_deleted
--     FROM herd_room r WHERE r.room = $1;
