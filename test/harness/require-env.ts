/** Reads a variable the test command (test/harness/run-all.sh) sets, with a message saying how to get it. */
export function requireEnv(name: "DATABASE_URL" | "REDIS_URL"): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set: run the tests with 'npm test', which starts the servers (deploy/services.sh)`);
  }
  return value;
}
