-- The bench events table for ClickHouse: runs on Debian's clickhouse-server 18.16 and on current
-- releases. 18.16 has no Map, no DateTime64 and (without an experimental setting) no
-- LowCardinality, so: utm_* as separate columns, ts as UInt64 ms plus event_date Date, Enum8 for
-- the small closed sets (numbered like tapistry::EventType / DeviceClass), UUID for ids.
-- Column order = the TabSeparated rows bench/gen --tsv writes.
CREATE TABLE IF NOT EXISTS events (
  project_id String,
  event_date Date,
  ts UInt64,
  event_id UUID,
  session_id UUID,
  anonymous_id UUID,
  user_id String,
  type Enum8('page_view' = 1, 'click' = 2, 'scroll' = 3, 'scroll_milestone' = 4, 'custom' = 5, 'mousemove' = 6),
  name String,
  url String,
  path String,
  title String,
  referrer String,
  utm_source String,
  utm_medium String,
  utm_campaign String,
  utm_term String,
  utm_content String,
  device_class Enum8('unknown' = 0, 'desktop' = 1, 'mobile' = 2, 'tablet' = 3),
  country FixedString(2),
  viewport_w UInt16,
  viewport_h UInt16,
  x Nullable(Float32),
  y Nullable(Float32),
  ex Nullable(Float32),
  ey Nullable(Float32),
  selector_hash UInt64,
  selector String,
  flags UInt8,
  depth_pct Nullable(UInt8),
  bot_score UInt8,
  props String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (project_id, event_date, session_id, ts)
SETTINGS index_granularity = 8192
