# ruff: noqa: S608 - DDL assembled from constant table names, no user input.
"""The invariant, enforced by the database itself (PostgreSQL triggers).

1. Guard: a shift assignment may be inserted, or updated into a scheduled state (or moved to
   another agent, skill group or window), only if the agent holds an *active* certification for
   the skill group with ``valid_from <= starts_at`` and ``valid_until >= ends_at``.
   The guard reads that certification row ``FOR SHARE``: a concurrent transaction
   that revokes or shortens it holds a row lock (UPDATE), so the two serialise. Whichever waits
   re-reads the committed row: the guard then finds no active certification and refuses, or the
   cascade (2) then sees the new assignment and cancels it. They can never both commit with the
   invariant broken.
2. Cascade: when an active certification changes in any way that could stop it covering a shift
   (status, window, agent, skill group, tenant, even its id) or is deleted, every scheduled
   assignment of its old agent and skill group that has not ended yet and is no longer covered
   by an active certification is cancelled, with a reason, and one ``assignment.cancelled`` row
   per assignment is written to the outbox, all in the transaction of the certification change.
   This holds for SQL written behind the application's back too: a DELETE followed by an INSERT
   of the same id with another status (the foreign keys are deferred, so the gap would pass at
   commit) cancels at the DELETE. TRUNCATE cannot leave a shift uncovered: the assignments'
   foreign key refuses it unless the assignments are truncated with it. The cascade runs once per
   statement over its transition tables (one pass for a sweep of thousands of rows).

The error raised by the guard carries ``GUARD_MESSAGE`` so the application can recognise it.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

GUARD_MESSAGE = "shift_assignment_not_certified"

ASSIGNMENT = "scheduling_shiftassignment"
CERTIFICATION = "certification_certification"
OUTBOX = "events_outboxevent"
MEMBERSHIP = "tenants_membership"
SKILL_GROUP = "certification_skillgroup"

PG_GUARD = f"""
CREATE OR REPLACE FUNCTION sched_assignment_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    cert_id bigint;
BEGIN
    IF NEW.status <> 'scheduled' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'scheduled'
       AND OLD.membership_id = NEW.membership_id AND OLD.skill_group_id = NEW.skill_group_id
       AND OLD.tenant_id = NEW.tenant_id
       AND OLD.certification_id IS NOT DISTINCT FROM NEW.certification_id
       AND OLD.starts_at = NEW.starts_at AND OLD.ends_at = NEW.ends_at THEN
        RETURN NEW;
    END IF;
    SELECT c.id INTO cert_id
      FROM {CERTIFICATION} c
     WHERE c.tenant_id = NEW.tenant_id
       AND c.membership_id = NEW.membership_id
       AND c.skill_group_id = NEW.skill_group_id
       AND c.status = 'active'
       AND c.valid_from <= NEW.starts_at
       AND c.valid_until >= NEW.ends_at
     ORDER BY c.id
     LIMIT 1
       FOR SHARE;
    IF cert_id IS NULL THEN
        RAISE EXCEPTION '{GUARD_MESSAGE}'
            USING ERRCODE = 'check_violation',
                  DETAIL = format('agent %s, skill group %s, %s to %s: no active certification '
                                  'over the whole window', NEW.membership_id, NEW.skill_group_id,
                                  NEW.starts_at, NEW.ends_at);
    END IF;
    NEW.certification_id := cert_id;
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS sched_assignment_guard ON {ASSIGNMENT};
CREATE TRIGGER sched_assignment_guard
    BEFORE INSERT OR UPDATE ON {ASSIGNMENT}
    FOR EACH ROW EXECUTE FUNCTION sched_assignment_guard();
"""

# The end of both cascades: cancel the uncovered scheduled shifts of the ``changed`` pairs and
# write their assignment.cancelled events to the outbox.
CANCEL_UNCOVERED = f"""cancelled AS (
        -- A shift matched by two changed certifications of its pair is updated (and
        -- reported) once: UPDATE ... FROM takes one of the matching rows.
        UPDATE {ASSIGNMENT} a
           SET status = 'cancelled', cancelled_at = clock_timestamp(), cancel_reason = c.reason_text
          FROM changed c
         WHERE a.tenant_id = c.tenant_id
           AND a.membership_id = c.membership_id
           AND a.skill_group_id = c.skill_group_id
           AND a.status = 'scheduled'
           AND a.ends_at > clock_timestamp()
           AND NOT EXISTS (
               SELECT 1 FROM {CERTIFICATION} k
                WHERE k.tenant_id = a.tenant_id
                  AND k.membership_id = a.membership_id
                  AND k.skill_group_id = a.skill_group_id
                  AND k.status = 'active'
                  AND k.valid_from <= a.starts_at
                  AND k.valid_until >= a.ends_at)
        RETURNING a.id, a.tenant_id, a.membership_id, a.skill_group_id, a.starts_at, a.ends_at,
                  a.external_ref, a.source, c.id AS certification_id, c.reason_code, c.reason_text
    )
    INSERT INTO {OUTBOX} (tenant_id, event_type, payload, created_at, dispatched_at)
    SELECT x.tenant_id, 'assignment.cancelled',
           -- The fields of scheduling.event_types.CANCELLED, as the service writes them.
           jsonb_build_object(
               'assignment_id', x.id,
               'employee_id', m.employee_id,
               'skill_group', g.code,
               'starts_at', events_rfc3339(x.starts_at),
               'ends_at', events_rfc3339(x.ends_at),
               'external_ref', x.external_ref,
               'status', 'cancelled',
               'source', x.source,
               'certification_id', x.certification_id,
               'reason', x.reason_text,
               'reason_code', x.reason_code,
               'cancelled_by', NULL),
           clock_timestamp(), NULL
      FROM cancelled x
      JOIN {MEMBERSHIP} m ON m.id = x.membership_id
      JOIN {SKILL_GROUP} g ON g.id = x.skill_group_id
     ORDER BY x.certification_id, x.starts_at, x.id;
"""

PG_CASCADE = f"""
CREATE OR REPLACE FUNCTION sched_certification_cascade() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- One set-based pass per statement (transition tables), not one query per updated row:
    -- the expiry sweep updates 10,000 certifications in one statement.
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'active') THEN
        RETURN NULL;
    END IF;
    WITH changed AS (
        -- Rows are paired by id; a row whose id changed has no pair and counts as changed.
        SELECT o.id, o.tenant_id, o.membership_id, o.skill_group_id,
               CASE WHEN n.id IS NULL THEN 'certification_window_changed'
                    WHEN n.status = 'active' THEN 'certification_window_changed'
                    ELSE 'certification_' || n.status END AS reason_code,
               CASE WHEN n.id IS NULL OR n.status = 'active'
                    THEN 'Certification validity changed; the shift is no longer covered.'
                    ELSE 'Certification ' || n.status || '; the shift is no longer covered.'
               END AS reason_text
          FROM old_rows o
          LEFT JOIN new_rows n ON n.id = o.id
         WHERE o.status = 'active'
           AND (n.id IS NULL
                OR NOT (n.status = 'active'
                        AND n.valid_until IS NOT DISTINCT FROM o.valid_until
                        AND n.valid_from IS NOT DISTINCT FROM o.valid_from
                        AND n.tenant_id = o.tenant_id
                        AND n.membership_id = o.membership_id
                        AND n.skill_group_id = o.skill_group_id))
    ), {CANCEL_UNCOVERED}
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS sched_certification_cascade ON {CERTIFICATION};
CREATE TRIGGER sched_certification_cascade
    AFTER UPDATE ON {CERTIFICATION}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sched_certification_cascade();

CREATE OR REPLACE FUNCTION sched_certification_delete_cascade() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM old_rows WHERE status = 'active') THEN
        RETURN NULL;
    END IF;
    WITH changed AS (
        SELECT o.id, o.tenant_id, o.membership_id, o.skill_group_id,
               'certification_deleted' AS reason_code,
               'Certification deleted; the shift is no longer covered.' AS reason_text
          FROM old_rows o
         WHERE o.status = 'active'
    ), {CANCEL_UNCOVERED}
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS sched_certification_delete_cascade ON {CERTIFICATION};
CREATE TRIGGER sched_certification_delete_cascade
    AFTER DELETE ON {CERTIFICATION}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION sched_certification_delete_cascade();
"""

PG_FORWARD = PG_GUARD + PG_CASCADE


PG_REVERSE = f"""
DROP TRIGGER IF EXISTS sched_certification_delete_cascade ON {CERTIFICATION};
DROP FUNCTION IF EXISTS sched_certification_delete_cascade();
DROP TRIGGER IF EXISTS sched_certification_cascade ON {CERTIFICATION};
DROP FUNCTION IF EXISTS sched_certification_cascade();
DROP TRIGGER IF EXISTS sched_assignment_guard ON {ASSIGNMENT};
DROP FUNCTION IF EXISTS sched_assignment_guard();
"""


def install(apps, schema_editor) -> None:
    _run(schema_editor, forward=True)


def uninstall(apps, schema_editor) -> None:
    _run(schema_editor, forward=False)


def _run(schema_editor, *, forward: bool) -> None:
    schema_editor.execute(PG_FORWARD if forward else PG_REVERSE, params=None)


def install_statement_cascade(apps, schema_editor) -> None:
    """Databases migrated before the cascade became a statement trigger get it (``PG_FORWARD``
    replaces the function and the trigger, so running it again is safe)."""
    schema_editor.execute(PG_FORWARD, params=None)


def is_guard_error(exc: BaseException) -> bool:
    """Whether a database error is the guard refusing an uncovered assignment."""
    return GUARD_MESSAGE in str(exc)


# The reasons the cascade writes (English, as stored); listed so the roster page can show them
# translated with {% translate %}.
CASCADE_REASONS = [
    gettext_noop("Certification validity changed; the shift is no longer covered."),
    gettext_noop("Certification revoked; the shift is no longer covered."),
    gettext_noop("Certification expired; the shift is no longer covered."),
    gettext_noop("Certification rejected; the shift is no longer covered."),
    gettext_noop("Certification pending; the shift is no longer covered."),
    gettext_noop("Certification deleted; the shift is no longer covered."),
]
