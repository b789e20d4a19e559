-- expect 3: OTHER_DDL, CREATE_INDEX_CONCURRENTLY/notx, ALTER_TABLE
-- index 2: "Idx; weird" ON "Order Items; v2"
-- targets 3: "Order Items; v2"
CREATE TABLE "Order Items; v2" ("Qty ""x""" int, "note;" text);
CREATE INDEX CONCURRENTLY "Idx; weird" ON "Order Items; v2" ("Qty ""x""");
ALTER TABLE "Order Items; v2" RENAME COLUMN "note;" TO "note";
