import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * The publication history: catalog mirror, every publication with its full package list
 * and changes, tags with their moves, and per-cycle results. Vulnerability tables come in
 * later migrations and reference publications(id) / publication_packages.
 *
 * Written as plain SQL (one statement each, as PGlite's extended protocol requires)
 * because checks, generated columns and operator classes read better than builder calls.
 * Never edit a migration once released; add the next one.
 */
const DIGEST_CHECK = `~ '^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$'`;

const STATEMENTS: readonly RawBuilder<unknown>[] = [
  sql`create table images (
    name text primary key,
    primary_package text,
    created_at timestamptz not null default now()
  )`,
  sql`create table image_versions (
    image text not null references images (name),
    line text not null,
    version text not null,
    variant text not null check (variant in ('prod', 'dev')),
    maintained boolean not null default true,
    created_at timestamptz not null default now(),
    primary key (image, line, version, variant)
  )`,
  sql`create table publications (
    id integer generated always as identity primary key,
    image text not null,
    line text not null,
    version text not null,
    variant text not null,
    digest text not null check (digest ${sql.raw(DIGEST_CHECK)}),
    digest_hex text generated always as (split_part(digest, ':', 2)) stored,
    timestamp_tag text not null,
    published_at timestamptz not null,
    trigger_kind text not null
      check (trigger_kind in ('schedule', 'package-updated', 'urgent-fix', 'manual')),
    trigger_detail jsonb not null,
    reason text not null,
    input_fingerprint text not null,
    -- what the fingerprint was made of (the factory's ImageInputs), to name what changed
    inputs jsonb,
    -- the primary package's version with its revision, 1.27.4-r2
    primary_version text,
    previous_digest text check (previous_digest ${sql.raw(DIGEST_CHECK)}),
    foreign key (image, line, version, variant) references image_versions (image, line, version, variant)
  )`,
  // "latest of this version" and "changelog of this version", newest first
  sql`create index publications_by_version
    on publications (image, version, variant, published_at desc, id desc)`,
  sql`create index publications_by_time on publications (published_at desc)`,
  sql`create index publications_by_digest on publications (digest)`,
  // `kiln search 3fa9` → digest_hex like '3fa9%'; text_pattern_ops makes LIKE-prefix use the index
  sql`create index publications_by_digest_hex on publications (digest_hex text_pattern_ops)`,
  sql`create table publication_packages (
    publication_id integer not null references publications (id) on delete cascade,
    name text not null,
    version text not null,
    arch text not null,
    checksum text not null,
    origin text not null,
    primary key (publication_id, arch, name)
  )`,
  // "which digests ship openssl 3.3.1-r0?" — what vulnerability matching will ask
  sql`create index publication_packages_by_name on publication_packages (name, version)`,
  sql`create table publication_changes (
    publication_id integer not null references publications (id) on delete cascade,
    ordinal integer not null,
    kind text not null check (kind in ('added', 'removed', 'upgraded', 'downgraded')),
    name text not null,
    from_version text,
    to_version text,
    primary key (publication_id, ordinal)
  )`,
  // every tag a publication was given (its fixed tags and the floating ones it moved or kept)
  sql`create table publication_tags (
    publication_id integer not null references publications (id) on delete cascade,
    repository text not null,
    tag text not null,
    primary key (publication_id, repository, tag)
  )`,
  sql`create table tags (
    repository text not null,
    tag text not null,
    digest text not null check (digest ${sql.raw(DIGEST_CHECK)}),
    updated_at timestamptz not null,
    primary key (repository, tag)
  )`,
  sql`create index tags_by_digest on tags (digest)`,
  sql`create table tag_moves (
    id integer generated always as identity primary key,
    repository text not null,
    tag text not null,
    from_digest text check (from_digest ${sql.raw(DIGEST_CHECK)}),
    to_digest text not null check (to_digest ${sql.raw(DIGEST_CHECK)}),
    moved_at timestamptz not null,
    publication_id integer references publications (id) on delete set null
  )`,
  sql`create index tag_moves_by_tag on tag_moves (repository, tag, moved_at desc, id desc)`,
  sql`create table cycle_results (
    id integer generated always as identity primary key,
    cycle_id text not null,
    image text not null,
    line text not null,
    version text not null,
    variant text not null check (variant in ('prod', 'dev')),
    status text not null check (status in ('published', 'skipped', 'failed')),
    reason text not null,
    digest text check (digest ${sql.raw(DIGEST_CHECK)}),
    at timestamptz not null
  )`,
  sql`create index cycle_results_by_cycle on cycle_results (cycle_id)`,
  sql`create index cycle_results_by_image on cycle_results (image, version, at desc)`,
];

const TABLES = [
  'cycle_results',
  'tag_moves',
  'tags',
  'publication_tags',
  'publication_changes',
  'publication_packages',
  'publications',
  'image_versions',
  'images',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await statement.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) await db.schema.dropTable(table).ifExists().execute();
}
