// A fresh Postgres database per test run, on the server that `scripts/postgres.sh up` found or started (its admin URL
// in FRONTDESK_TEST_POSTGRES_URL), dropped afterwards. Through the `pg` client (a devDependency), because a machine
// whose Postgres is elsewhere (a URL, or a server already on 127.0.0.1:5432) need not have psql.
import pg from "pg";
import { randomHex } from "./util.mjs";

/** The variable scripts/test.sh exports (from `eval "$(scripts/postgres.sh up)"`). */
export const POSTGRES_URL_VAR = "FRONTDESK_TEST_POSTGRES_URL";

/** The admin URL (a role that may CREATE DATABASE), or null when the run was not given one. */
export const postgresAdminUrl = () => process.env[POSTGRES_URL_VAR] || null;

/** Why a Postgres test cannot run here, for a failure or a skip that says what to do; null when it can. */
export function postgresMissing() {
  if (postgresAdminUrl()) return null;
  return `${POSTGRES_URL_VAR} is not set: run the tests with \`npm test\` (scripts/test.sh exports it), or ` +
    `\`eval "$(scripts/postgres.sh up)"\` first (it finds a Postgres on 127.0.0.1:5432 or starts a throwaway one; ` +
    "`scripts/postgres.sh down` stops it)";
}

/** Quotes an identifier for SQL (the names made here need none, but a prefix given by a caller might). */
const ident = (name) => `"${name.replaceAll('"', '""')}"`;

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot connect to Postgres at ${redact(url)} (${POSTGRES_URL_VAR}): ${err.message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL without its password, for messages. */
export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

export class PostgresDatabase {
  constructor(adminUrl, name) {
    this.adminUrl = adminUrl;
    this.name = name;
    // The admin URL with the new database in place of its path; user, host, port and options (e.g. sslmode) kept.
    const u = new URL(adminUrl);
    u.pathname = `/${encodeURIComponent(name)}`;
    this.url = u.toString();
    this.dropped = false;
  }

  /**
   * Creates a database nobody else uses: `<prefix>_<time>_<pid>_<random>` (lower case, under Postgres' 63-byte
   * name limit), so concurrent runs on one server never meet, and a run's leftovers, if it crashed before `drop()`,
   * are recognisable by the prefix. Collation C, from template0: text sorts byte by byte, as in SQLite, whatever
   * locale the server was initialised with.
   */
  static async create({ adminUrl = postgresAdminUrl(), prefix = "frontdesk_test" } = {}) {
    if (!adminUrl) throw new Error(postgresMissing());
    const name = `${prefix}_${Date.now().toString(36)}_${process.pid}_${randomHex(4)}`.toLowerCase().slice(0, 63);
    const db = new PostgresDatabase(adminUrl, name);
    await withClient(adminUrl, (c) =>
      c.query(`CREATE DATABASE ${ident(name)} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`));
    return db;
  }

  /** Runs one query on this database (for checks a test makes beside the server); resolves to pg's result. */
  query(text, values) {
    return withClient(this.url, (c) => c.query(text, values));
  }

  /**
   * Drops the database even while connections remain (a server killed with SIGKILL may leave its sessions until
   * Postgres notices): `WITH (FORCE)` ends them first (Postgres 13+; older servers get the same by
   * pg_terminate_backend). Safe to call twice.
   */
  async drop() {
    if (this.dropped) return;
    await withClient(this.adminUrl, async (c) => {
      try {
        await c.query(`DROP DATABASE IF EXISTS ${ident(this.name)} WITH (FORCE)`);
      } catch (err) {
        if (err.code !== "42601") throw err; // syntax_error: a server older than 13
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [this.name]);
        await c.query(`DROP DATABASE IF EXISTS ${ident(this.name)}`);
      }
    });
    this.dropped = true;
  }
}
