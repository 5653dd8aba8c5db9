-- Fills a migrated liqsync mirror with the report benchmark's volume: 1,000,000 contacts,
-- 2,000,000 notes, 500,000 tasks, 300,000 appointments over two years ending 2026-11-29,
-- 200,000 staged LocaliQ leads, two years of nightly runs and 50,000 journaled changes.
-- Values are spread with a multiplicative hash so every day has data. Run by `bench/run report`.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO contacts (id, location_id, first_name, last_name, name, email, email_key, phone, phone_key, phone_search, company, source,
    tags, tags_text, date_added, date_updated, raw, pulled_at, utm_source, utm_medium, utm_campaign)
SELECT 'c' || i, 'loc', 'First' || (i % 4999), 'Last' || (i % 7919), 'First' || (i % 4999) || ' Last' || (i % 7919),
    'person' || i || '@example.com', 'person' || i || '@example.com', '+1312555' || printf('%04d', i % 10000), '+1312555' || printf('%04d', i % 10000),
    '1312555' || printf('%04d', i % 10000), 'Company ' || (i % 20011),
    CASE i % 7 WHEN 0 THEN 'Google Ads' WHEN 1 THEN 'Yelp' WHEN 2 THEN 'Website Form' WHEN 3 THEN 'Referral' WHEN 4 THEN 'Facebook Ads'
        WHEN 5 THEN 'LocaliQ' ELSE NULL END,
    json_array('tag' || (i % 41), 'tag' || (i % 7)), 'tag' || (i % 41) || ' tag' || (i % 7),
    strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + (i * 2654435761) % 63072000, 'unixepoch'),
    strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + (i * 2654435761) % 63072000 + 86400, 'unixepoch'),
    json_object('id', 'c' || i, 'firstName', 'First' || (i % 4999), 'lastName', 'Last' || (i % 7919), 'email', 'person' || i || '@example.com',
        'phone', '+1312555' || printf('%04d', i % 10000), 'companyName', 'Company ' || (i % 20011), 'tags', json_array('tag' || (i % 41), 'tag' || (i % 7)),
        'customFields', json_array(json_object('id', 'f1', 'value', 'value ' || i))),
    '2026-11-29T00:00:00.000Z',
    CASE WHEN i % 3 = 0 THEN 'google' WHEN i % 3 = 1 THEN 'facebook' END, CASE WHEN i % 3 < 2 THEN 'cpc' END,
    CASE WHEN i % 3 < 2 THEN 'campaign' || (i % 12) END
FROM n;
COMMIT;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000)
INSERT INTO notes (id, contact_id, title, body, user_id, date_added, raw, pulled_at)
SELECT 'n' || i, 'c' || ((i * 7919) % 1000000 + 1), NULL, 'Called back about the quote, number ' || i || '; wants a visit next week.', 'user' || (i % 25),
    strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + (i * 2246822519) % 63072000, 'unixepoch'),
    json_object('id', 'n' || i, 'body', 'Called back about the quote, number ' || i), '2026-11-29T00:00:00.000Z'
FROM n;
COMMIT;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500000),
t(i, created) AS (SELECT i, 1732838400 + (i * 3266489917) % 63072000 FROM n)
INSERT INTO tasks (id, contact_id, title, body, assigned_to, due_date, completed, raw, pulled_at, created_at, completed_at)
SELECT 't' || i, 'c' || ((i * 104729) % 1000000 + 1), 'Follow up ' || i, 'Call them back', CASE WHEN i % 10 = 0 THEN NULL ELSE 'user' || (i % 25) END,
    strftime('%Y-%m-%dT%H:%M:%S.000Z', created + 259200, 'unixepoch'), CASE WHEN i % 5 < 3 THEN 1 ELSE 0 END,
    json_object('id', 't' || i, 'title', 'Follow up ' || i), '2026-11-29T00:00:00.000Z',
    CASE WHEN i % 10 < 7 THEN strftime('%Y-%m-%dT%H:%M:%S.000Z', created, 'unixepoch') END,
    CASE WHEN i % 5 < 3 AND i % 10 < 8 THEN strftime('%Y-%m-%dT%H:%M:%S.000Z', created + (i % 200) * 3600, 'unixepoch') END
FROM t;
COMMIT;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000),
a(i, booked) AS (SELECT i, 1732838400 + (i * 2654435761) % 63072000 FROM n)
INSERT INTO appointments (id, contact_id, calendar_id, title, notes, status, start_time, end_time, raw, pulled_at, date_added)
SELECT 'a' || i, 'c' || ((i * 15485863) % 1000000 + 1), 'cal' || (i % 5), 'Visit', NULL,
    CASE i % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'confirmed' WHEN 2 THEN 'showed' WHEN 3 THEN 'noshow' WHEN 4 THEN 'cancelled' ELSE 'showed' END,
    strftime('%Y-%m-%dT%H:%M:%S.000Z', booked + (i % 14) * 86400, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%S.000Z', booked + (i % 14) * 86400 + 3600, 'unixepoch'),
    json_object('id', 'a' || i), '2026-11-29T00:00:00.000Z', strftime('%Y-%m-%dT%H:%M:%S.000Z', booked, 'unixepoch')
FROM a;
COMMIT;
BEGIN;
INSERT INTO imports (id, file, sha256, size, profile, mapping_digest, started_at, finished_at, status, rows_read, rows_staged)
VALUES (1, 'bench-interactions.json', 'bench', 0, 'localiq-interactions', 'bench', '2026-11-29T00:00:00.000Z', '2026-11-29T00:00:00.000Z', 'done', 200000, 200000);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO staged_rows (row_id, import_id, line, status, source_id, email_key, phone_key, fields, activity, raw)
SELECT 4294967296 + i, 1, i, 'staged', 'L' || i, CASE WHEN i % 2 = 0 THEN 'person' || (i * 5) || '@example.com' ELSE 'lead' || i || '@example.com' END, NULL,
    json_object('email', 'lead' || i || '@example.com'),
    json_object('id', 'i' || i, 'channel', CASE i % 3 WHEN 0 THEN 'call' WHEN 1 THEN 'form' ELSE 'chat' END, 'campaign', 'Campaign ' || (i % 30),
        'occurred_at', strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + (i * 2246822519) % 63072000, 'unixepoch')),
    '{}'
FROM n;
-- What staging writes beside each lead row (see LeadColumns).
INSERT INTO staged_leads (row_id, lead_at, lead_key, channel, campaign)
SELECT row_id, json_extract(activity, '$.occurred_at'), json_extract(activity, '$.id'), json_extract(activity, '$.channel'),
    json_extract(activity, '$.campaign')
FROM staged_rows WHERE import_id = 1 ORDER BY row_id;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 729)
INSERT INTO runs (kind, mode, started_at, ended_at, status, requests, throttled, retries)
SELECT CASE i % 3 WHEN 0 THEN 'pull' WHEN 1 THEN 'plan' ELSE 'apply' END, NULL,
    strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + i * 86400 + 7200, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + i * 86400 + 7800, 'unixepoch'),
    CASE WHEN i % 17 = 0 THEN 'failed' ELSE 'ok' END, 400 + i % 300, i % 4, i % 6
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
INSERT INTO apply_journal (plan_id, change_id, status, record_id, message, at)
SELECT 'plan' || (i / 100), i, CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 33 = 0 THEN 'stale' ELSE 'done' END, 'c' || i, NULL,
    strftime('%Y-%m-%dT%H:%M:%S.000Z', 1732838400 + (i * 2654435761) % 63072000, 'unixepoch')
FROM n;
COMMIT;
