"""The SQL of the bulk-job store, in one place (each statement is one round trip).

A worker's traffic is batched: one ``CLAIM`` per chunk of items, one ``SENDING`` and one
``FINISH`` per flush of results (``unnest`` of arrays), one ``RENEW`` per lease period.
"""

from __future__ import annotations

ITEM_COLUMNS = (
    "job_id",
    "seq",
    "line",
    "key",
    "state",
    "error_type",
    "error",
    "finished_at",
)

BODY_COLUMNS = ("job_id", "seq", "body")

_BODY = "(SELECT b.body FROM confirma_job_bodies AS b WHERE b.job_id = i.job_id AND b.seq = i.seq)"

# The end of both claims: update the picked rows while the claimer's own lease holds; return them
# with their bodies.
_TAKE = f"""
WHERE i.job_id = $1 AND i.seq = ANY(ARRAY(SELECT seq FROM picked)) AND EXISTS (
    SELECT 1 FROM confirma_job_workers AS me
    WHERE me.id = $2 AND me.lease_until > now() AND me.stopped_at IS NULL)
RETURNING i.seq, i.key, {_BODY} AS body, i.maybe_sent, i.content
"""

CREATE_JOB = "INSERT INTO confirma_jobs (kind, name) VALUES ($1, $2) RETURNING id"

SET_TOTAL = "UPDATE confirma_jobs SET total = $2 WHERE id = $1"

# A key seen again later in the same job is failed at load (never sent): the first copy decides.
# Found in one sorted pass, then failed by seq (an UPDATE joined to the window query itself can
# get a quadratic plan on a table that was never analysed).
REPEATED_KEYS = """
SELECT seq, 'key ' || key || ' appears again at line ' || coalesce(line, seq + 1)::text
       || ' (first at line ' || coalesce(first_line, first_seq + 1)::text
       || '): not sent a second time' AS error
FROM (
    SELECT seq, key, line,
           first_value(line) OVER w AS first_line,
           first_value(seq) OVER w AS first_seq,
           row_number() OVER w AS n
    FROM confirma_job_items
    WHERE job_id = $1 AND key IS NOT NULL
    WINDOW w AS (PARTITION BY key ORDER BY seq)
) AS d
WHERE n > 1
"""

FAIL_REPEATED = """
UPDATE confirma_job_items AS i
SET state = 'failed', error_type = 'DuplicateInputError', error = u.error, finished_at = now()
FROM unnest($2::integer[], $3::text[]) AS u(seq, error)
WHERE i.job_id = $1 AND i.seq = u.seq
"""

JOB = "SELECT id, kind, name, target, client, total, created_at FROM confirma_jobs WHERE id = $1"

BIND = """
UPDATE confirma_jobs SET target = coalesce(target, $2), client = coalesce(client, $3)
WHERE id = $1 RETURNING target, client
"""

REBIND = "UPDATE confirma_jobs SET target = $2, client = $3 WHERE id = $1"

REGISTER_WORKER = """
INSERT INTO confirma_job_workers (job_id, host, pid, lease_until)
VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id
"""

# Extends a lease that still holds; no row: the lease had run out (the claims may be gone).
RENEW = """
UPDATE confirma_job_workers SET lease_until = now() + make_interval(secs => $2)
WHERE id = $1 AND lease_until > now() AND stopped_at IS NULL RETURNING id
"""

# A stopping worker hands back claims it never sent (or sent only to be refused): pending again,
# not possibly sent. Rows possibly sent before it claimed them (maybe_sent) stay with it until
# another worker takes them over, and looks them up.
RELEASE = """
UPDATE confirma_job_items SET state = 'pending', worker = NULL
WHERE job_id = $1 AND worker = $2 AND state IN ('claimed', 'sending') AND NOT maybe_sent
  AND seq = ANY($3::integer[])
"""

STOP_WORKER = """
UPDATE confirma_job_workers SET lease_until = least(lease_until, now()), stopped_at = now()
WHERE id = $1
"""

# (Both claims update ``seq = ANY(ARRAY(...))``: joined to the CTE instead, the planner may hash
# the whole job's rows for every claim.)
# Claim up to $3 pending items for worker $2, from seq $4 on (each worker walks the job in seq
# order: a scan from the start would step over every finished row's dead index entries), only
# while the claimer's own lease holds. SKIP LOCKED: claimers never wait for each other and never
# get the same row.
CLAIM = (
    """
WITH picked AS (
    SELECT seq FROM confirma_job_items
    WHERE job_id = $1 AND state = 'pending' AND seq >= $4
    ORDER BY seq
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE confirma_job_items AS i
SET state = 'claimed', worker = $2, claims = i.claims + 1
"""
    + _TAKE
)

# Take over up to $3 items held by workers whose lease ran out: they were possibly sent
# (maybe_sent), so the new holder looks each one up before sending it again.
RECLAIM = (
    """
WITH picked AS (
    SELECT seq FROM confirma_job_items
    WHERE job_id = $1 AND state IN ('claimed', 'sending') AND worker IN (
        SELECT id FROM confirma_job_workers WHERE job_id = $1 AND lease_until <= now())
    ORDER BY seq
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE confirma_job_items AS i
SET state = 'claimed', worker = $2, claims = i.claims + 1, maybe_sent = true
"""
    + _TAKE
)

# Open items not held by worker $2: while there are any, the job may still need this worker.
OTHERS_OPEN = """
SELECT EXISTS (SELECT 1 FROM confirma_job_items WHERE job_id = $1 AND state = 'pending')
    OR EXISTS (SELECT 1 FROM confirma_job_items
               WHERE job_id = $1 AND worker IS NOT NULL AND worker <> $2
                 AND state IN ('claimed', 'sending'))
"""

MARK_SENDING = """
UPDATE confirma_job_items AS i SET state = 'sending', content = u.content
FROM unnest($3::integer[], $4::bigint[]) AS u(seq, content)
WHERE i.job_id = $1 AND i.seq = u.seq AND i.worker = $2 AND i.state = 'claimed'
"""

# Final states, only for items this worker still holds (a lost lease drops them: the next holder
# reconciles by lookup). maybe_sent stays for an unknown outcome, or for a failure before anything
# was sent of an item that was possibly sent already.
FINISH = """
UPDATE confirma_job_items AS i
SET state = u.state, worker = NULL, finished_at = now(),
    attempts = i.attempts + u.attempts, lookups = i.lookups + u.lookups, unknown = u.unknown,
    error_type = u.error_type, error = u.error, content = coalesce(u.content, i.content),
    maybe_sent = u.state = 'failed' AND (u.unknown OR (i.maybe_sent AND u.attempts = 0))
FROM unnest($3::integer[], $4::text[], $5::integer[], $6::integer[], $7::boolean[], $8::text[],
            $9::text[], $10::bigint[])
     AS u(seq, state, attempts, lookups, unknown, error_type, error, content)
WHERE i.job_id = $1 AND i.seq = u.seq AND i.worker = $2 AND i.state IN ('claimed', 'sending')
"""

COUNTS = """
SELECT state, unknown, count(*) AS n FROM confirma_job_items WHERE job_id = $1
GROUP BY state, unknown
"""

PROGRESS = """
SELECT now() AS now, min(finished_at) AS first,
       count(*) FILTER (WHERE finished_at > now() - make_interval(secs => $2)) AS recent
FROM confirma_job_items WHERE job_id = $1 AND finished_at IS NOT NULL AND claims > 0
"""

FAILURES = """
SELECT coalesce(error_type, 'unknown') AS reason, unknown, count(*) AS n FROM confirma_job_items
WHERE job_id = $1 AND state = 'failed' GROUP BY 1, 2 ORDER BY 3 DESC, 1
"""

WORKERS_ALIVE = """
SELECT count(*) FROM confirma_job_workers
WHERE job_id = $1 AND lease_until > now() AND stopped_at IS NULL
"""

RESULTS = """
SELECT seq, line, key, state, attempts, lookups, unknown, error_type, error, finished_at
FROM confirma_job_items WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3
"""

# Failed items go back to pending (keeping maybe_sent: those are looked up first); items failed at
# load (malformed, duplicate: never claimed) would fail the same way and stay.
RETRY_FAILED = """
UPDATE confirma_job_items
SET state = 'pending', worker = NULL, finished_at = NULL, unknown = false,
    error_type = NULL, error = NULL
WHERE job_id = $1 AND state = 'failed' AND claims > 0
"""
