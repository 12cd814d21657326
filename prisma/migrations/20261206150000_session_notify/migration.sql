-- API instances keep recently checked sessions in memory for members' catalogue, feed and search
-- pages. Whatever ends or changes a session (sign-out, sign-out everywhere, expiry purge, a user
-- deleted) or changes what a session grants (a user's role, deactivation) tells every instance at
-- commit, whoever made the change (the API, the admin command line, plain SQL), so none keeps it.
-- One function for both tables: the trigger's argument says what the row's id names ("s:<session
-- id>", "u:<user id>").
CREATE FUNCTION "notify_session_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('session_changes', TG_ARGV[0] || ':' || OLD."id");
    RETURN NULL;
END;
$$;
CREATE TRIGGER "sessions_notify_change" AFTER UPDATE OR DELETE ON "sessions"
    FOR EACH ROW EXECUTE FUNCTION "notify_session_change"('s');
CREATE TRIGGER "users_notify_access_change" AFTER UPDATE OF "role", "is_active" ON "users"
    FOR EACH ROW WHEN (OLD."role" IS DISTINCT FROM NEW."role" OR OLD."is_active" IS DISTINCT FROM NEW."is_active")
    EXECUTE FUNCTION "notify_session_change"('u');
