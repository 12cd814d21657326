import type { Database } from './client';

/**
 * Balances are caches of the ledger: a user's token balance is what they received as bonus,
 * purchase, refund or transfer minus what they spent on generations or transferred away; an
 * artist's earned balance is their earnings minus withdrawals. Returns every account that
 * disagrees with its entries (empty = the books reconcile).
 */
export async function findLedgerDiscrepancies(
  db: Database,
): Promise<Array<{ userId: string; account: 'tokens' | 'earned'; balance: number; entries: number }>> {
  const rows = await db.$queryRaw<
    Array<{ user_id: string; account: 'tokens' | 'earned'; balance: number; entries: number }>
  >`
    WITH movements AS (
      SELECT receiver_id AS user_id, 'tokens' AS account, amount FROM transactions
        WHERE status = 'completed' AND receiver_id IS NOT NULL AND type IN ('bonus', 'purchase', 'refund', 'transfer')
      UNION ALL
      SELECT sender_id, 'tokens', -amount FROM transactions
        WHERE status = 'completed' AND sender_id IS NOT NULL AND type IN ('generation', 'transfer')
      UNION ALL
      SELECT receiver_id, 'earned', amount FROM transactions
        WHERE status = 'completed' AND receiver_id IS NOT NULL AND type = 'earning'
      UNION ALL
      SELECT sender_id, 'earned', -amount FROM transactions
        WHERE status = 'completed' AND sender_id IS NOT NULL AND type = 'withdrawal'
    ),
    sums AS (SELECT user_id, account, SUM(amount)::int AS entries FROM movements GROUP BY 1, 2),
    balances AS (
      SELECT id AS user_id, 'tokens' AS account, token_balance AS balance FROM users
      UNION ALL
      SELECT user_id, 'earned', earned_token_balance FROM artists
    )
    SELECT b.user_id::text AS user_id, b.account, b.balance, COALESCE(s.entries, 0) AS entries
    FROM balances b LEFT JOIN sums s ON s.user_id = b.user_id AND s.account = b.account
    WHERE b.balance <> COALESCE(s.entries, 0)`;
  return rows.map((r) => ({ userId: r.user_id, account: r.account, balance: r.balance, entries: r.entries }));
}

/**
 * Cached counters that disagree with the rows they count: follower_count (follows of the artist),
 * like_count, comment_count (comments shown: neither it nor its parent hidden by a moderator), a style's usage_count (its completed generations) and a tag's
 * usage_count (styles and generations carrying it). Empty = every counter is exact.
 */
export async function findCounterDrift(
  db: Database,
): Promise<Array<{ counter: string; id: string; cached: number; actual: number }>> {
  return db.$queryRaw<Array<{ counter: string; id: string; cached: number; actual: number }>>`
    SELECT 'artists.follower_count' AS counter, a.user_id::text AS id, a.follower_count AS cached, COUNT(f.*)::int AS actual
      FROM artists a LEFT JOIN follows f ON f.following_id = a.user_id GROUP BY a.user_id HAVING a.follower_count <> COUNT(f.*)
    UNION ALL
    SELECT 'generations.like_count', g.id::text, g.like_count, COUNT(l.*)::int
      FROM generations g LEFT JOIN likes l ON l.generation_id = g.id GROUP BY g.id HAVING g.like_count <> COUNT(l.*)
    UNION ALL
    SELECT 'generations.comment_count', g.id::text, g.comment_count, COUNT(c.*)::int
      FROM generations g
      LEFT JOIN (comments c LEFT JOIN comments p ON p.id = c.parent_id)
        ON c.generation_id = g.id AND c.moderation_hidden_at IS NULL AND p.moderation_hidden_at IS NULL
      GROUP BY g.id HAVING g.comment_count <> COUNT(c.*)
    UNION ALL
    SELECT 'styles.usage_count', s.id::text, s.usage_count, COUNT(g.*)::int
      FROM styles s LEFT JOIN generations g ON g.style_id = s.id AND g.status = 'completed'
      GROUP BY s.id HAVING s.usage_count <> COUNT(g.*)
    UNION ALL
    SELECT 'tags.usage_count', t.id::text, t.usage_count,
           ((SELECT COUNT(*) FROM style_tags st WHERE st.tag_id = t.id) + (SELECT COUNT(*) FROM generation_tags gt WHERE gt.tag_id = t.id))::int
      FROM tags t
      WHERE t.usage_count <> (SELECT COUNT(*) FROM style_tags st WHERE st.tag_id = t.id) + (SELECT COUNT(*) FROM generation_tags gt WHERE gt.tag_id = t.id)`;
}
