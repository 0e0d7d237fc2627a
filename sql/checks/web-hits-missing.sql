-- id: web-hits-missing
-- title: Page views keep arriving
-- severity: warning
-- rule: at-least-one-per 48h
-- jobs: AppInsightsImporter
-- guide: pageViews
--   Alert rule "No recent data from App Insights": page-views equal to 0 over the last 48 hours.
--   Offline, a page view imported is proven by the AppInsightsImporter's own lines: "Hits
--   downloaded - 'N' in total" or "Saved N events, and M page-views" with a non-zero count,
--   "Hits batch imported.", or a FinishedSectionImport "Hits import" event.
-- advice: No page views were imported for two days. If the SharePoint sites had visitors, the
--   tracker is not sending hits (a broken deploy of the tracking script, an App Insights key
--   change) or the importer cannot read App Insights (check its errors: API key, REST failures).
SELECT timestamp, job, source_file AS file, line_no AS line, message, NULL AS skip_reason
FROM traces
WHERE (template = 'hits-downloaded'
        AND try_cast(replace(regexp_extract(message, '^Hits downloaded - ''([0-9,]+)''', 1), ',', '') AS BIGINT) > 0)
   OR (template IN ('saved-events-pageviews', 'processed-events-pageviews')
        AND try_cast(replace(regexp_extract(message, 'and ([0-9,]+) page-views', 1), ',', '') AS BIGINT) > 0)
   OR template = 'hits-batch-imported'
UNION ALL
SELECT timestamp, job, source_file, line_no, 'FinishedSectionImport: ' || section, NULL
FROM customEvents WHERE name = 'FinishedSectionImport' AND section = 'Hits import'
UNION ALL
SELECT NULL, 'AppInsightsImporter', NULL, NULL, NULL,
       'web-traffic import is disabled in ImportJobSettings (WebTraffic=False)'
FROM (SELECT arg_max(template, (timestamp, file_id, line_no)) AS last FROM traces
      WHERE template IN ('web-traffic-disabled', 'appinsights-import-start'))
WHERE last = 'web-traffic-disabled'
