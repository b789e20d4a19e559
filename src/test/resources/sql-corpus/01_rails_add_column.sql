-- expect 3: ALTER_TABLE, ALTER_TABLE, OTHER_DDL
-- targets 1: users
-- Rails 7 add_column / change_column_default / add_comment, as `rails db:migrate:status` prints them
ALTER TABLE "users" ADD "last_seen_at" timestamp(6);
ALTER TABLE "users" ALTER COLUMN "locale" SET DEFAULT 'en';
COMMENT ON COLUMN "users"."last_seen_at" IS 'Updated by the session middleware; may lag by 5 minutes';
