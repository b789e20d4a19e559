-- expect 2: CREATE_INDEX_CONCURRENTLY/notx, DROP_INDEX_CONCURRENTLY/notx
-- index 1: "Users_Email_Idx" ON public."Users"
-- index 2: users_email_idx ON -
create Unique index Concurrently "Users_Email_Idx" on Public."Users" (lower(email));
Drop Index Concurrently If Exists "users_email_idx";
