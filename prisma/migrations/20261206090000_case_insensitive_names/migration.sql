-- Usernames, and each artist's style names, are unique whatever their case: "MINA_INK" is taken
-- once "mina_ink" exists. The unique indexes are on lower(...) and replace the plain ones (which
-- they imply). Prisma cannot express an expression index, so prisma/schema.prisma only names them
-- in comments; the drift test compares plain-column uniques only.
--
-- Rows that already differ only by case would fail the new indexes, so they are renamed first,
-- deterministically: in each group, the oldest row (created_at, then id) keeps its name and every
-- later one takes the first free suffix from 2 upwards ("Mina_Ink" → "Mina_Ink_2"; a style
-- "Ink Wash" → "Ink Wash (2)"), cut to fit the column. A style's name never changes otherwise; this
-- one-off rename is what keeps both styles usable.

DO $$
DECLARE
    later RECORD;
    n INTEGER;
    candidate TEXT;
BEGIN
    FOR later IN
        SELECT id, username FROM (
            SELECT id, username,
                   row_number() OVER (PARTITION BY lower(username) ORDER BY created_at, id) AS place
            FROM "users"
        ) ranked
        WHERE place > 1
        ORDER BY lower(username), place
    LOOP
        n := 2;
        LOOP
            candidate := left(later.username, 50 - length('_' || n)) || '_' || n;
            EXIT WHEN NOT EXISTS (SELECT 1 FROM "users" WHERE lower(username) = lower(candidate));
            n := n + 1;
        END LOOP;
        UPDATE "users" SET username = candidate, updated_at = now() WHERE id = later.id;
    END LOOP;

    FOR later IN
        SELECT id, artist_id, name FROM (
            SELECT id, artist_id, name,
                   row_number() OVER (PARTITION BY artist_id, lower(name) ORDER BY created_at, id) AS place
            FROM "styles"
        ) ranked
        WHERE place > 1
        ORDER BY artist_id, lower(name), place
    LOOP
        n := 2;
        LOOP
            candidate := left(later.name, 100 - length(' (' || n || ')')) || ' (' || n || ')';
            EXIT WHEN NOT EXISTS (
                SELECT 1 FROM "styles" WHERE artist_id = later.artist_id AND lower(name) = lower(candidate)
            );
            n := n + 1;
        END LOOP;
        UPDATE "styles" SET name = candidate, updated_at = now() WHERE id = later.id;
    END LOOP;
END
$$;

DROP INDEX "users_username_key";
CREATE UNIQUE INDEX "users_username_lower_key" ON "users" (lower("username"));

DROP INDEX "styles_artist_id_name_key";
CREATE UNIQUE INDEX "styles_artist_id_name_lower_key" ON "styles" ("artist_id", lower("name"));
