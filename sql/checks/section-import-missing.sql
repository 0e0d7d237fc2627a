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
--   ImportJobSettings prints "Skipping ..." instead and is skipped here. Usage reports import at
--   most once per 24 h, after the cycle that follows the 24 h, so they get 26 h. Hits import
--   finishes only in cycles that found new page views (docs/formats.md §2.2), so a day without
--   visitors is no failure: it gets the 48 h of the guide's page-view alert (web-hits-missing).
-- advice: A section that stopped finishing names the failing import flow. Follow the guide's
--   method: look at the errors of that flow (the checks failing beside this one usually name
--   the cause), and if unclear disable the other imports in ImportJobSettings to get clean logs
--   of the failing one.
WITH sections(grp, job, skip_template, wnd) AS (
    VALUES ('Hits import', 'AppInsightsImporter', 'web-traffic-disabled', '48h'),
           ('User metadata refresh', 'Office365ActivityImporter', 'users-skipped', '24h'),
           ('User Teams apps refresh', 'Office365ActivityImporter', 'teams-apps-skipped', '24h'),
           ('Usage reports', 'Office365ActivityImporter', 'usage-reports-skipped', '26h'),
           ('Teams import', 'Office365ActivityImporter', 'teams-skipped', '24h'),
           ('Audit events import', 'Office365ActivityImporter', 'activity-skipped', '24h')
), cycles(grp, job) AS (
    VALUES ('FinishedImportCycle AppInsightsImporter', 'AppInsightsImporter'),
           ('FinishedImportCycle Office365ActivityImporter', 'Office365ActivityImporter')
), seen AS (
    SELECT timestamp, operation_Name, source_file, line_no, name, section FROM customEvents
), last_skip AS (
    SELECT template, max(timestamp) AS at FROM traces
    WHERE template IN (SELECT skip_template FROM sections) GROUP BY template
)
-- declared groups (a section may never appear)
SELECT NULL::TIMESTAMP AS timestamp, s.grp, s.job, NULL AS file, NULL::BIGINT AS line, NULL AS message, s.wnd AS window,
       CASE WHEN k.at IS NOT NULL AND k.at > coalesce((SELECT max(timestamp) FROM seen WHERE section = s.grp
                                                      OR (s.grp = 'Audit events import' AND section = 'Audit events')), TIMESTAMP '1970-01-01')
            THEN 'disabled in ImportJobSettings (the job prints "' || (SELECT first(message) FROM traces WHERE template = s.skip_template) || '")'
       END AS skip_reason
FROM sections s LEFT JOIN last_skip k ON k.template = s.skip_template
UNION ALL
SELECT NULL, c.grp, c.job, NULL, NULL, NULL, '24h', NULL FROM cycles c
UNION ALL
SELECT e.timestamp, s.grp, s.job, e.source_file, e.line_no, e.name || ': ' || e.section, s.wnd, NULL
FROM seen e JOIN sections s ON e.section = s.grp OR (s.grp = 'Audit events import' AND e.section = 'Audit events')
WHERE e.name = 'FinishedSectionImport'
UNION ALL
SELECT e.timestamp, c.grp, c.job, e.source_file, e.line_no, e.name || ': ' || e.section, '24h', NULL
FROM seen e JOIN cycles c ON e.operation_Name = c.job
WHERE e.name = 'FinishedImportCycle'
