import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkStyleTags } from '../src/styles/tags';
import { addArtist, addStyle, addUser, codeOf, startMarketplace, type Marketplace } from './marketplace';

let market: Marketplace;

beforeAll(async () => {
  market = await startMarketplace();
});
afterAll(async () => {
  await market.stop();
});

describe('search.query', () => {
  it('finds styles by name and by tag, ranked, saying what matched; unlisted styles never', async () => {
    const artist = await addArtist(market.db, { artistName: 'Hana Kim' });
    const exact = await addStyle(market.db, artist.id, { name: 'Watercolor' });
    const prefix = await addStyle(market.db, artist.id, { name: 'Watercolour Dreams' });
    const tagged = await addStyle(market.db, artist.id, { name: 'Soft Washes' });
    await addStyle(market.db, artist.id, { name: 'Watercolor Hidden', isActive: false });
    await addStyle(market.db, artist.id, { name: 'Watercolor Flagged', isFlagged: true });
    await addStyle(market.db, artist.id, { name: 'Watercolor Training', status: 'training' });
    await market.db.$transaction(async (tx) => {
      await linkStyleTags(tx, tagged.id, ['watercolor', 'pastel']);
      await linkStyleTags(tx, exact.id, ['watercolor']);
    });

    const { styles, artists } = await market.as(null).search.query({ q: 'WaterColor', type: 'styles' });
    expect(artists).toEqual([]);
    expect(styles.map((s) => s.id)).toEqual([exact.id, tagged.id, prefix.id]);
    expect(styles[0]).toMatchObject({ matchedBy: ['name', 'tag'], matchedTags: ['watercolor'] });
    expect(styles[1]).toMatchObject({ matchedBy: ['tag'], matchedTags: ['watercolor'] });
    expect(styles[2]!.matchedBy).toEqual(['name']);
    expect(styles.every((s, i) => i === 0 || s.score <= styles[i - 1]!.score)).toBe(true);

    // A typo still finds it (trigram similarity).
    expect(
      (await market.as(null).search.query({ q: 'watercolr', type: 'styles' })).styles.map((s) => s.id),
    ).toContain(exact.id);
  });

  it('ranks a tag above names only where its score does, on every page, and lists matched tags', async () => {
    const artist = await addArtist(market.db, { artistName: 'Cloud Works' });
    const style = async (name: string, usageCount: number, tags: string[] = []) => {
      const created = await addStyle(market.db, artist.id, { name });
      await market.db.style.update({ where: { id: created.id }, data: { usageCount } });
      if (tags.length > 0) await market.db.$transaction((tx) => linkStyleTags(tx, created.id, tags));
      return created.id;
    };
    // Scores: an exact tag 0.9 × 1; "rainfall x" names ~0.82 (prefix, nearly the word); a prefix
    // tag 0.9 × 0.8; a name with the word inside 0.6.
    const pond = await style('Quiet Pond', 0, ['rainfall']);
    const a = await style('Rainfall A', 3, ['rainfall mist']);
    const b = await style('Rainfall B', 2);
    const c = await style('Rainfall C', 1);
    const grey = await style('Grey Morning', 100, ['rainfall mist']);
    const heavy = await style('Heavy Rainfall', 50);
    const expected = [pond, a, b, c, grey, heavy];

    const whole = await market.as(null).search.query({ q: 'rainfall', type: 'styles', limit: 50 });
    expect(whole.styles.map((s) => s.id)).toEqual(expected);
    // Two at a time: the names fill the first page, yet the exact tag's style leads it; the prefix
    // tag's style, below three names, comes after them.
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ReturnType<typeof market.as>['search']['query']>> = await market
        .as(null)
        .search.query({ q: 'rainfall', type: 'styles', limit: 2, cursor });
      paged.push(...page.styles.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(expected);

    const first = await market.as(null).search.query({ q: 'rainfall', type: 'styles', limit: 2 });
    expect(first.styles[0]).toMatchObject({ matchedBy: ['tag'], matchedTags: ['rainfall'], score: 0.9 });
    // Found by name, ranked by name, and still saying which tag matched too.
    expect(first.styles[1]).toMatchObject({
      id: a,
      matchedBy: ['name', 'tag'],
      matchedTags: ['rainfall mist'],
    });
    expect(first.styles[1]).toEqual(whole.styles[1]);
  });

  it('finds artists by artist name and users by username', async () => {
    const artist = await addArtist(market.db, { artistName: 'Mirae Studio' });
    await market.db.user.update({ where: { id: artist.id }, data: { username: 'mirae_paints' } });
    const user = await addUser(market.db);
    await market.db.user.update({ where: { id: user.id }, data: { username: 'mirae_fan' } });
    const gone = await addUser(market.db);
    await market.db.user.update({
      where: { id: gone.id },
      data: { username: 'mirae_gone', isActive: false },
    });

    const { styles, artists } = await market.as(null).search.query({ q: 'mirae', type: 'artists' });
    expect(styles).toEqual([]);
    const byId = new Map(artists.map((a) => [a.id, a]));
    expect(byId.get(artist.id)).toMatchObject({
      artistName: 'Mirae Studio',
      matchedBy: ['artistName', 'username'],
    });
    expect(byId.get(user.id)).toMatchObject({ artistName: null, matchedBy: ['username'] });
    expect(byId.has(gone.id)).toBe(false);

    const all = await market.as(null).search.query({ q: 'studio' });
    expect(all.artists.map((a) => a.id)).toEqual([artist.id]);
  });

  it('pages through ranked hits with a cursor, each hit once, and ends', async () => {
    const artist = await addArtist(market.db, { artistName: 'Gouache Guild' });
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push(await addStyle(market.db, artist.id, { name: `gouache study ${i}` }));

    const seen: string[] = [];
    let page = await market.as(null).search.query({ q: 'gouache', type: 'styles', limit: 2 });
    const pages = [page];
    while (page.hasMore) {
      page = await market
        .as(null)
        .search.query({ q: 'gouache', type: 'styles', limit: 2, cursor: page.nextCursor });
      pages.push(page);
    }
    for (const p of pages) seen.push(...p.styles.map((s) => s.id));
    expect(pages.map((p) => p.styles.length)).toEqual([2, 2, 1]);
    expect(page.nextCursor).toBeNull();
    expect(seen.sort()).toEqual(created.map((s) => s.id).sort());

    // With type=all the cursor carries both lists; the finished one stays empty.
    const first = await market.as(null).search.query({ q: 'gouache', limit: 3 });
    expect(first.artists.map((a) => a.id)).toEqual([artist.id]);
    const second = await market.as(null).search.query({ q: 'gouache', limit: 3, cursor: first.nextCursor });
    expect(second.artists).toEqual([]);
    expect(second.styles).toHaveLength(2);
    expect(second.hasMore).toBe(false);

    expect(await codeOf(market.as(null).search.query({ q: 'gouache', cursor: 'not-a-cursor' }))).toBe(
      'VALIDATION_ERROR',
    );
  });

  it('treats LIKE wildcards literally and validates the query', async () => {
    expect((await market.as(null).search.query({ q: '%%%' })).styles).toEqual([]);
    expect(await codeOf(market.as(null).search.query({ q: '   ' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(market.as(null).search.query({ q: 'x', type: 'everything' as never }))).toBe(
      'VALIDATION_ERROR',
    );
  });
});
