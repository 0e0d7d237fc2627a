-- id: web-hits-missing
-- title: Page views keep arriving
-- severity: warning
-- rule: at-least-one-per 48h
-- jobs: AppInsightsImporter
-- covered-by: appinsights-request, hits-downloaded, no-new-hits, pageviews-download-failed
-- guide: pageViews
--   Alert rule "No recent data from App Insights": page-views equal to 0 over the last 48 hours.
--   Offline, a new page view is proven by the AppInsightsImporter's "Hits downloaded - 'N' in
--   total. Earliest: ..., latest: T" line when T is newer than every hit it held before (the
--   latest of earlier downloads, and the newest hit its "Requesting data ... (newest hit is from
--   T0)" line names). The app differs from what the lines suggest: it starts each query one
--   minute before the newest hit it holds, so once any hit exists every cycle downloads that
--   same hit again and prints "Hits downloaded - '1'", "Saved ... 1 page-views" and a "Hits
--   import" event; only the newest hit's time moving shows new data. (Builds that print no
--   "Hits downloaded" line: a non-zero "Saved/Processed N events, and M page-views".)
--   The logs show page views only where the importer got as far as querying App Insights
--   (covered-by): with a configuration error, a missing API key or a crash loop before that,
--   this is unknown, not a tracker problem.
-- advice: No new page views were imported for two days. If the SharePoint sites had visitors, the
--   tracker is not sending hits (a broken deploy of the tracking script, an App Insights key
--   change) or the importer cannot read App Insights (check its errors: API key, REST failures).
WITH downloads AS MATERIALIZED (
    -- the template's lines first, then the regular expressions on them: in the scan, they ran
    -- on every line of the table's stretches holding one (~16 against ~9 ms for these on the
    -- 200 MB bench log)
    SELECT timestamp, job, source_file, file_id, line_no, message FROM traces WHERE template = 'hits-downloaded'
), pageviews AS MATERIALIZED (
    -- the same for builds that print no "Hits downloaded" line. "(template IN (...)) IS TRUE"
    -- is filtered in DuckDB's scan; a bare IN list of templates is planned as a join, which
    -- reads every column of every row (docs/checks.md, "Fast checks")
    SELECT timestamp, job, source_file, line_no, message FROM traces
    WHERE (template IN ('saved-events-pageviews', 'processed-events-pageviews')) IS TRUE
), dl AS (
    SELECT timestamp, job, source_file, file_id, line_no, message,
           try_strptime(regexp_extract(message, 'latest: (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})', 1), '%Y-%m-%d %H:%M:%S') AS latest
    FROM downloads
    WHERE try_cast(replace(regexp_extract(message, '^Hits downloaded - ''([0-9,]+)''', 1), ',', '') AS BIGINT) > 0
), held AS (
    -- the newest hit the importer held at each request time; of requests printed in the same
    -- second, the last one printed (the struct keeps a NULL newest as the value to return)
    SELECT timestamp,
           arg_max({'v': try_strptime(regexp_extract(message, '\(newest hit is from ([^)]+)\)', 1),
                        ['%m/%d/%Y %I:%M:%S %p', '%d/%m/%Y %H:%M:%S', '%Y-%m-%d %H:%M:%S'])}, (file_id, line_no)).v AS newest
    FROM traces WHERE template = 'appinsights-request'
    GROUP BY timestamp
), judged AS (
    -- the held newest hit is that of the last request at or before the download (an ASOF
    -- join: a correlated subquery here took DuckDB 2.0 most of a minute on 10 000 rows)
    SELECT dl.*,
           max(latest) OVER (ORDER BY dl.timestamp, file_id, line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before,
           h.newest AS held
    FROM dl ASOF LEFT JOIN held h ON dl.timestamp >= h.timestamp
)
SELECT timestamp, job, source_file AS file, line_no AS line, message, NULL AS skip_reason
FROM judged
WHERE latest IS NULL OR (before IS NULL OR latest > before) AND (held IS NULL OR latest > held)
UNION ALL
SELECT timestamp, job, source_file, line_no, message, NULL
FROM pageviews
WHERE try_cast(replace(regexp_extract(message, 'and ([0-9,]+) page-views', 1), ',', '') AS BIGINT) > 0
  AND NOT EXISTS (SELECT 1 FROM downloads)
UNION ALL
SELECT NULL, 'AppInsightsImporter', NULL, NULL, NULL,
       'web-traffic import is disabled in ImportJobSettings (WebTraffic=False)'
FROM (SELECT arg_max(template, (timestamp, file_id, line_no)) AS last FROM traces
      WHERE (template IN ('web-traffic-disabled', 'appinsights-import-start')) IS TRUE)
WHERE last = 'web-traffic-disabled'
