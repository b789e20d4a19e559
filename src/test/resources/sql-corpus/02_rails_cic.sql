-- expect 1: CREATE_INDEX_CONCURRENTLY/notx
-- index 1: index_users_on_email ON users
-- targets 1: users
-- Rails: add_index :users, :email, algorithm: :concurrently (with disable_ddl_transaction!)
CREATE INDEX CONCURRENTLY "index_users_on_email" ON "users" ("email");
