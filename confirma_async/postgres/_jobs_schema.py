"""The tables of the bulk-job store (component ``jobs``), as versioned migrations.

Version 1: ``confirma_jobs`` (one row a job: its kind, binding and size), ``confirma_job_workers``
(one row a worker process: its host, pid and lease), ``confirma_job_items`` (one row an input
item: its state, who holds it, its outcome; narrow, as it is updated a few times) and
``confirma_job_bodies`` (the item as loaded, written once). Apply with
``confirma jobs migrate --store ...`` or :meth:`JobStore.migrate`; workers also migrate on start.

Item states: ``pending`` (nobody holds it), ``claimed`` (a worker holds it while its lease lasts),
``sending`` (its holder has sent it, recorded in batches), then one final state: ``created``,
``already_exists`` or ``failed`` (with the error's type and message). ``maybe_sent`` says a
request for it may have been applied without an outcome being recorded (a dead worker held it,
or it failed with an unknown outcome): the next holder looks it up before sending it again.
"""

from __future__ import annotations

COMPONENT = "jobs"

OPEN_STATES = ("pending", "claimed", "sending")
FINAL_STATES = ("created", "already_exists", "failed")

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE confirma_jobs (
        id          bigserial   PRIMARY KEY,
        kind        text        NOT NULL CHECK (kind IN ('invoice', 'action')),
        name        text,
        target      text,
        client      text,
        total       integer     NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE confirma_job_workers (
        id          bigserial   PRIMARY KEY,
        job_id      bigint      NOT NULL REFERENCES confirma_jobs ON DELETE CASCADE,
        host        text        NOT NULL,
        pid         integer     NOT NULL,
        started_at  timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz NOT NULL,
        stopped_at  timestamptz
    );
    CREATE TABLE confirma_job_items (
        job_id      bigint      NOT NULL REFERENCES confirma_jobs ON DELETE CASCADE,
        seq         integer     NOT NULL,
        line        integer,
        key         text,
        state       text        NOT NULL DEFAULT 'pending' CHECK (state IN
                    ('pending', 'claimed', 'sending', 'created', 'already_exists', 'failed')),
        worker      bigint,
        claims      integer     NOT NULL DEFAULT 0,
        maybe_sent  boolean     NOT NULL DEFAULT false,
        content     bigint,
        attempts    integer     NOT NULL DEFAULT 0,
        lookups     integer     NOT NULL DEFAULT 0,
        unknown     boolean     NOT NULL DEFAULT false,
        error_type  text,
        error       text,
        finished_at timestamptz,
        PRIMARY KEY (job_id, seq)
    );
    CREATE TABLE confirma_job_bodies (
        job_id      bigint      NOT NULL,
        seq         integer     NOT NULL,
        body        text        NOT NULL,
        PRIMARY KEY (job_id, seq),
        FOREIGN KEY (job_id, seq) REFERENCES confirma_job_items ON DELETE CASCADE
    );
    CREATE INDEX confirma_job_items_pending ON confirma_job_items (job_id, seq)
        WHERE state = 'pending';
    CREATE INDEX confirma_job_items_held ON confirma_job_items (job_id, worker)
        WHERE worker IS NOT NULL;
    """,
)
"""Version *n* is ``MIGRATIONS[n - 1]``; a new version is appended, never edited."""
