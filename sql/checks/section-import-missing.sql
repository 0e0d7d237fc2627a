-- id: section-import-missing
-- title: Every enabled import section finishes at least once a day
-- severity: error
-- rule: at-least-one-per 24h
-- jobs: AppInsightsImporter, Office365ActivityImporter
-- guide: customEvents | where name == "FinishedSectionImport" or name == "FinishedImportCycle"
--   "If you are missing any of those events within a 24-hour period and ImportJobSettings is set
--   to import them, you should follow the below advice to start investigating why."
--   Sections: Hits import, User Teams apps refresh, Usage reports, Teams import, Audit events,
--   User metadata refresh, and each job's FinishedImportCycle. A section disabled in
--   ImportJobSettings prints "Skipping ..." instead and is skipped here; with WebTraffic=False
--   the AppInsightsImporter prints its warning and never cycles, so its FinishedImportCycle is
--   skipped too. Usage reports import at most once per 24 h, after the cycle that follows the
--   24 h, so they get 26 h. Hits import gets the guide's 24 h: the app fires it in every cycle
--   that downloaded a hit, and once any hit exists every cycle downloads the newest one again
--   (it queries from a minute before it), so it fires every cycle whether or not new page views
--   came (web-hits-missing judges those); before the first hit ever ("no hits yet") it cannot
--   fire and is skipped. Hits import is covered only where the importer got as far as querying
--   App Insights (covered_by), as for web-hits-missing: the hits come from the tracker, and an
--   importer stuck before the query says nothing about them. The other sections and the cycles
--   are imported by the jobs themselves: wherever the job is alive, a section that does not
--   finish is data not imported, whatever stopped it (the checks beside this one name the cause).
-- advice: A section that stopped finishing names the failing import flow. Follow the guide's
--   method: look at the errors of that flow (the checks failing beside this one usually name
--   the cause), and if unclear disable the other imports in ImportJobSettings to get clean logs
--   of the failing one.
WITH reach(name, templates) AS (
    VALUES ('hits', 'appinsights-request, hits-downloaded, no-new-hits, pageviews-download-failed')
), sections(grp, job, skip_template, wnd, reach) AS (
    VALUES ('Hits import', 'AppInsightsImporter', 'web-traffic-disabled', '24h', 'hits'),
           ('User metadata refresh', 'Office365ActivityImporter', 'users-skipped', '24h', NULL),
           ('User Teams apps refresh', 'Office365ActivityImporter', 'teams-apps-skipped', '24h', NULL),
           ('Usage reports', 'Office365ActivityImporter', 'usage-reports-skipped', '26h', NULL),
           ('Teams import', 'Office365ActivityImporter', 'teams-skipped', '24h', NULL),
           ('Audit events import', 'Office365ActivityImporter', 'activity-skipped', '24h', NULL)
), cycles(grp, job) AS (
    VALUES ('FinishedImportCycle AppInsightsImporter', 'AppInsightsImporter'),
           ('FinishedImportCycle Office365ActivityImporter', 'Office365ActivityImporter')
), web_traffic AS (
    -- the warning follows "Starting Application Insights import." in the same run
    SELECT arg_max(template, (timestamp, file_id, line_no)) = 'web-traffic-disabled' AS disabled FROM traces
    -- "(template IN (...)) IS TRUE" is filtered in DuckDB's scan; a bare IN list of templates
    -- is planned as a join, which reads every column of every row (docs/checks.md, "Fast checks")
    WHERE (template IN ('web-traffic-disabled', 'appinsights-import-start')) IS TRUE
), no_hits_yet AS (
    -- the last request line: ORDER BY ... LIMIT 1 reads the message of that line only (an
    -- arg_max over the text read the messages of all 10 k requests on the 200 MB bench log)
    SELECT contains(message, '(no hits yet') AS yes FROM traces
    WHERE template = 'appinsights-request'
    ORDER BY timestamp DESC, file_id DESC, line_no DESC LIMIT 1
), seen AS NOT MATERIALIZED (
    -- the section each event counts for: "Audit events" is the Audit events import's (an
    -- equi-join below, not a join on an OR: DuckDB planned that as a nested loop). Read three
    -- times, each filtered in its scan: materializing the 106 k events of the 200 MB bench log
    -- first cost more (~28 against ~24 ms for the query on one thread)
    SELECT timestamp, operation_Name, source_file, line_no, name, section,
           CASE WHEN section = 'Audit events' THEN 'Audit events import' ELSE section END AS grp
    FROM customEvents
), last_skip AS (
    -- with the skip line's text: a subquery on traces per section made DuckDB join the
    -- messages of every row. The skip templates of sections, written out: an IN subquery is a
    -- join, which read the three columns of every line (filtered in the scan: ~10 against
    -- ~25 ms on the 200 MB bench log).
    SELECT template, max(timestamp) AS at, first(message) AS message FROM traces
    WHERE (template IN ('web-traffic-disabled', 'users-skipped', 'teams-apps-skipped', 'usage-reports-skipped',
                        'teams-skipped', 'activity-skipped')) IS TRUE
    GROUP BY template
)
-- declared groups (a section may never appear)
SELECT NULL::TIMESTAMP AS timestamp, s.grp, s.job, NULL AS file, NULL::BIGINT AS line, NULL AS message, s.wnd AS window,
       CASE WHEN s.grp = 'Hits import' AND (SELECT disabled FROM web_traffic)
            THEN 'web-traffic import is disabled in ImportJobSettings (WebTraffic=False)'
            WHEN k.at IS NOT NULL AND k.at > coalesce((SELECT max(timestamp) FROM seen WHERE seen.grp = s.grp), TIMESTAMP '1970-01-01')
            THEN 'disabled in ImportJobSettings (the job prints "' || k.message || '")'
            WHEN s.grp = 'Hits import' AND (SELECT yes FROM no_hits_yet)
            THEN 'the AppInsightsImporter holds no page view yet ("no hits yet to start from previous"): the section fires only once one is imported (see web-hits-missing)'
       END AS skip_reason,
       (SELECT r.templates FROM reach r WHERE r.name = s.reach) AS covered_by
FROM sections s LEFT JOIN last_skip k ON k.template = s.skip_template
UNION ALL
SELECT NULL, c.grp, c.job, NULL, NULL, NULL, '24h',
       CASE WHEN c.job = 'AppInsightsImporter' AND (SELECT disabled FROM web_traffic)
            THEN 'web-traffic import is disabled in ImportJobSettings (WebTraffic=False): the AppInsightsImporter stops before its first cycle'
       END, NULL
FROM cycles c
UNION ALL
SELECT e.timestamp, s.grp, s.job, e.source_file, e.line_no, e.name || ': ' || e.section, s.wnd, NULL, NULL
FROM seen e JOIN sections s ON e.grp = s.grp
WHERE e.name = 'FinishedSectionImport'
UNION ALL
SELECT e.timestamp, c.grp, c.job, e.source_file, e.line_no, e.name || ': ' || e.section, '24h', NULL, NULL
FROM seen e JOIN cycles c ON e.operation_Name = c.job
WHERE e.name = 'FinishedImportCycle'
