-- expect 3: DETACH_PARTITION_CONCURRENTLY/notx, ALTER_TABLE, OTHER_DDL
-- targets 1: measurements, measurements_2023
-- targets 2: measurements, measurements_2023
ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;
-- only needed when the concurrent detach was interrupted:
ALTER TABLE measurements DETACH PARTITION measurements_2023 FINALIZE;
DROP TABLE measurements_2023;
