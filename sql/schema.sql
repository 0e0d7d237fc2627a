-- kudulens database schema (DuckDB 2.0). Applied by store.Open; every statement is
-- idempotent so an existing database is opened as it is.
--
-- Conventions
--   * Times are TIMESTAMP values in UTC (no TIMESTAMPTZ: the bundled DuckDB has no ICU).
--   * Table and column names follow Application Insights where a column has an App Insights
--     twin (timestamp, operation_Name, severityLevel, outerType, ...), so the vendor's queries
--     read naturally. kudulens' own columns are snake_case.
--   * Provenance: every row names the file (file_id, source_file) and the 1-based physical line
--     (line_no) it starts on; line_count is how many physical lines it spans.
--   * Accounting: for every file, files.lines = files.parsed + files.rejected. A line is parsed
--     when it belongs to a traces row (or is a recognised header); rejected lines are in
--     rejects. files.merged counts parsed lines whose row was merged into an identical row of
--     another file (see pipeline/merge.sql), so they are in traces only once.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- One row per file seen: logs, archives that held them, and skipped files.
CREATE TABLE IF NOT EXISTS files (
    file_id     INTEGER,      -- stable id, referenced by every other table
    path        VARCHAR,      -- display path; archive members as 'bundle.zip!dir/file.txt'
    container   VARCHAR,      -- display path of the archive holding it, NULL on disk
    kind        VARCHAR,      -- kudu-log | app-log-csv | app-log-txt | kudu-status | zip | tar | unknown
    compression VARCHAR,      -- gzip | zstd | NULL
    bytes       BIGINT,       -- content bytes (after decompression)
    sha256      VARCHAR,      -- of the content; a file with a known sha256 is not ingested twice
    job         VARCHAR,      -- web-job name (from the folder, or inferred from content)
    site        VARCHAR,      -- App Service site name when the file tells it (application logs)
    lines       BIGINT,       -- physical lines read
    parsed      BIGINT,       -- lines that went into rows (or a header)
    rejected    BIGINT,       -- lines that went into rejects
    merged      BIGINT,       -- parsed lines whose row was merged into another file's identical row
    traces      BIGINT,       -- rows kept in traces (after merging copies; see store.CountKept)
    exceptions  BIGINT,       -- rows kept in exceptions
    events      BIGINT,       -- rows kept in customEvents
    first_ts    TIMESTAMP,
    last_ts     TIMESTAMP,
    status      VARCHAR,      -- ok | partial | failed | skipped
    error       VARCHAR,      -- why partial/failed/skipped; names the line or byte offset
    run_id      INTEGER,
    ingested_at TIMESTAMP,
    modified    TIMESTAMP     -- the file's modification time as its source gives it (disk, archive
                              -- member, blob Last-Modified), UTC; NULL when unknown
);

-- Databases written before files.modified get it here (NULL for their rows).
ALTER TABLE files ADD COLUMN IF NOT EXISTS modified TIMESTAMP;

-- Console lines of the web-jobs and Kudu's own lifecycle lines, one row per record.
CREATE TABLE IF NOT EXISTS traces (
    timestamp      TIMESTAMP,  -- UTC; Kudu: second resolution, application log: tick resolution
    operation_Name VARCHAR,    -- App Insights operation name: AppInsightsImporter | Office365ActivityImporter | CallRecordWebhookController | job
    job            VARCHAR,    -- Kudu web-job (folder) name; NULL when it cannot be attributed
    job_source     VARCHAR,    -- how job was found: path | content | template | neighbour
    instance       VARCHAR,    -- short instance id (6 chars) as Kudu prints it
    level          VARCHAR,    -- INFO | WARN | ERR (Kudu level; application-log level mapped)
    is_system      BOOLEAN,    -- Kudu 'SYS' line (lifecycle), never in App Insights
    severityLevel  INTEGER,    -- App Insights severity (0-4) from the message template; NULL if not a trace there
    message        VARCHAR,    -- text without Kudu and app prefixes; continuation lines joined with '\n'
    -- the app's own time prefix as printed ('10-15-32:45', '10:08 PM'), NULL if none. Nearly every
    -- value is distinct: DuckDB's default string compression spent ~0.2 s per 1.8 M rows finding
    -- that out (a fifth of a load's CPU, bench/RESULTS.md), for a column few queries read.
    app_time       VARCHAR USING COMPRESSION uncompressed,
    template       VARCHAR,    -- id of the message template (parse.Templates), NULL if unknown
    source         VARCHAR,    -- job-log | app-log
    pid            INTEGER,    -- application log: process id column
    truncated      BOOLEAN,    -- the line was longer than the limit and was cut
    msg_hash       BIGINT,     -- xxh3 of level+message, used to merge copies of one line
    file_id        INTEGER,
    source_file    VARCHAR,
    line_no        BIGINT,
    line_count     INTEGER,
    also_file      VARCHAR,    -- where a merged copy of this row was also seen
    also_line      BIGINT,
    signals        UINTEGER    -- bits of the check signals the message carries (parse.Signal, sql/signals.go)
);

-- Databases written before the signals column get it here; sql.FillSignals computes it for
-- their rows (and for rows loaded from a Parquet export without it).
ALTER TABLE traces ADD COLUMN IF NOT EXISTS signals UINTEGER;

-- kl_signal(signals, name): the row carries the named signal (the names and bits of
-- parse.SignalNames; sql/signals.go defines each as a predicate on the message). The built-in
-- checks read their rows with it instead of searching every message.
CREATE OR REPLACE MACRO kl_signal(s, name) AS (s & CASE name
    WHEN 'activity-import-finished' THEN 1
    WHEN 'webhook-create-failed'    THEN 2
    WHEN 'external-user-not-found'  THEN 4
    WHEN 'graph-denied'             THEN 8
    WHEN 'keyvault-not-found'       THEN 16
    WHEN 'out-of-memory'            THEN 32
    WHEN 'public-access-denied'     THEN 64
    WHEN 'yammer-auth-code'         THEN 128
    WHEN 'yammer-export'            THEN 256
    WHEN 'ef-model'                 THEN 512
    WHEN 'org-urls-missing'         THEN 1024
    WHEN 'waiting-mins'             THEN 2048
    ELSE error('kl_signal: unknown signal ' || name) END::UINTEGER) <> 0;

-- .NET exceptions: unhandled crashes (ERR lines), exception text printed on stdout/stderr
-- without a crash (regrouped from its lines), Kudu SYS ERR/WARN records with an exception, and
-- handled exceptions whose message the app printed inside a template.
CREATE TABLE IF NOT EXISTS exceptions (
    timestamp        TIMESTAMP,
    operation_Name   VARCHAR,
    job              VARCHAR,
    instance         VARCHAR,
    origin           VARCHAR,  -- crash | stdout | stderr | kudu | handled
    inferred_by      VARCHAR,  -- for origin=handled: the rule that inferred the type
    outerType        VARCHAR,
    outerMessage     VARCHAR,
    innermostType    VARCHAR,
    innermostMessage VARCHAR,
    details          VARCHAR,  -- the full text as logged
    frames           INTEGER,  -- stack frames ('   at ...' lines)
    severityLevel    INTEGER,
    file_id          INTEGER,
    source_file      VARCHAR,
    line_no          BIGINT,
    line_count       INTEGER
);

-- Custom events echoed on the console: "New event '<name>'; '<k>=<v>;...'."
CREATE TABLE IF NOT EXISTS customEvents (
    timestamp      TIMESTAMP,
    operation_Name VARCHAR,
    job            VARCHAR,
    instance       VARCHAR,
    name           VARCHAR,    -- FinishedSectionImport | FinishedImportCycle | ...
    section        VARCHAR,    -- 'Teams import', 'SPOInsights.WebJob.AppInsightsImporter', ...
    duration_s     INTEGER,    -- parsed from 'H hours, M mins, and S seconds.'
    properties     JSON,       -- customDimensions, e.g. {"context": "..."}
    file_id        INTEGER,
    source_file    VARCHAR,
    line_no        BIGINT
);

-- Lines that could not be parsed, kept verbatim (up to the line limit).
CREATE TABLE IF NOT EXISTS rejects (
    file_id     INTEGER,
    source_file VARCHAR,
    line_no     BIGINT,
    reason      VARCHAR,
    raw         VARCHAR
);

-- Kudu status files (data/jobs/continuous/<job>/status_<instance>): the job's state at capture.
CREATE TABLE IF NOT EXISTS job_status (
    job         VARCHAR,
    instance    VARCHAR,
    status      VARCHAR,
    file_id     INTEGER,
    source_file VARCHAR
);
