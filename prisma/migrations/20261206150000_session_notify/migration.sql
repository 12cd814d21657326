-- API instances keep recently checked sessions in memory for members' catalogue, feed and search
-- pages. Whatever ends or changes a session (sign-out, sign-out everywhere, expiry purge, a user
-- deleted) or changes what a session grants (a user's role, deactivation) tells every instance at
-- commit, whoever made the change (the API, the admin command line, plain SQL), so none keeps it.
CREATE FUNCTION "sessions_notify_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('session_changes', 's:' || OLD."id");
    RETURN NULL;
END;
$$;
CREATE TRIGGER "sessions_notify_change" AFTER UPDATE OR DELETE ON "sessions"
    FOR EACH ROW EXECUTE FUNCTION "sessions_notify_change"();

CREATE FUNCTION "users_notify_access_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('session_changes', 'u:' || NEW."id");
    RETURN NULL;
END;
$$;
CREATE TRIGGER "users_notify_access_change" AFTER UPDATE OF "role", "is_active" ON "users"
    FOR EACH ROW WHEN (OLD."role" IS DISTINCT FROM NEW."role" OR OLD."is_active" IS DISTINCT FROM NEW."is_active")
    EXECUTE FUNCTION "users_notify_access_change"();
