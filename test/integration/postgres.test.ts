/**
 * The director's PostgreSQL adapter against the real server started by deploy/services.sh.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { connectPostgres, type Sql } from "@esxbackup/director";
import { EsxbackupError } from "@esxbackup/domain";
import { requireEnv } from "../harness/require-env.js";

describe("PostgreSQL (real server)", () => {
  let sql: Sql;

  before(async () => {
    sql = await connectPostgres({ databaseUrl: requireEnv("DATABASE_URL"), maxConnections: 2 });
  });

  after(async () => {
    await sql.end({ timeout: 5 });
  });

  it("runs a parameterised round trip, keeping awkward strings intact", async () => {
    await sql`create temporary table vm_names (id serial primary key, name text not null)`;
    const awkward = ["Test Test [Test] [Test]", `it's "quoted"; $HOME`, "Überwachung – 仮想マシン"];
    for (const name of awkward) await sql`insert into vm_names (name) values (${name})`;
    const rows = await sql<{ name: string }[]>`select name from vm_names order by id`;
    assert.deepEqual(rows.map((row) => row.name), awkward);
    const [version] = await sql<{ server_version_num: string }[]>`show server_version_num`;
    assert.ok(Number(version?.server_version_num) >= 150000, "PostgreSQL 15 or newer");
  });

  it("reports an unreachable server with the address but never the password", async () => {
    const url = "postgres://postgres:s3cret-pw@127.0.0.1:1/esxbackup";
    await assert.rejects(connectPostgres({ databaseUrl: url }), (error: unknown) => {
      assert.ok(error instanceof EsxbackupError);
      assert.equal(error.code, "database_unavailable");
      assert.match(error.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(error.message, /s3cret-pw/);
      return true;
    });
  });
});
