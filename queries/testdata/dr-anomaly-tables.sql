-- Elementary's test_result_rows and data_monitoring_metrics: test_result_rows as dbt-data-reliability 0.25.1 creates it on PostgreSQL
-- (models/edr/run_results/test_result_rows.sql: an empty_table of long_string, long_string, timestamp, timestamp,
-- int, string), rendered like the other tables of shared/elementary-real/postgres-ddl.sql, which lacks both.
create table {schema}.test_result_rows as select * from (select
  cast('this_is_just_a_long_dummy_string' as text) as elementary_test_results_id,
  cast('this_is_just_a_long_dummy_string' as text) as result_row,
  cast('2091-02-17' as timestamp) as detected_at,
  cast('2091-02-17' as timestamp) as created_at,
  cast(123456789 as integer) as row_index,
  cast('dummy_string' as varchar(4096)) as test_type
) as empty_table where 1 = 0;
-- data_monitoring_metrics as 0.25.1 creates it (default__empty_data_monitoring_metrics, with created_at).
create table {schema}.data_monitoring_metrics as select * from (select
  cast('dummy_string' as varchar(4096)) as id,
  cast('dummy_string' as varchar(4096)) as full_table_name,
  cast('dummy_string' as varchar(4096)) as column_name,
  cast('dummy_string' as varchar(4096)) as metric_name,
  cast('dummy_string' as varchar(4096)) as metric_type,
  cast(123456789.99 as float) as metric_value,
  cast('dummy_string' as varchar(4096)) as source_value,
  cast('2091-02-17' as timestamp) as bucket_start,
  cast('2091-02-17' as timestamp) as bucket_end,
  cast(123456789 as integer) as bucket_duration_hours,
  cast('2091-02-17' as timestamp) as updated_at,
  cast('dummy_string' as varchar(4096)) as dimension,
  cast('dummy_string' as varchar(4096)) as dimension_value,
  cast('dummy_string' as varchar(4096)) as metric_properties,
  cast('2091-02-17' as timestamp) as created_at
) as empty_table where 1 = 0;
