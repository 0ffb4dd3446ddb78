/**
 * `esxbackup inventory --host H[:PORT] --user U --password-file F [--known-hosts FILE] [--min-datastore-free
 * SHARE|SIZE] [--json]` — what a host holds: its VMs, their disks (and why a backup would refuse one), the
 * snapshots that exist, the VMs that could not be read, and its datastores with their free space (and
 * whether a backup would refuse the running VMs on them, docs/adr/0039). Read-only on the host. The host key
 * is pinned on first use, a changed one refused (re-pin deliberately with `hosts trust`).
 *
 * Exit codes: 0 every VM read; 1 some VMs could not be read (listed, with why); 2 bad input, or host
 * output that could not be understood; 3 the host could not be reached, the login or the host key was
 * refused, or a command failed.
 */
import type { Command } from "commander";
import type { CommandContext } from "../command-context.js";
import { ExitCode } from "../exit-codes.js";
import { addHostLoginOptions, hostLogin, openHostSession, type HostLoginOptions } from "./host-login.js";
import { renderInventoryTable } from "./inventory-table.js";
import type { InventoryDatastore } from "./inventory-table.js";
import { parseMinDatastoreFree } from "./min-datastore-free-option.js";

interface InventoryOptions extends HostLoginOptions {
  minDatastoreFree?: string;
  json?: boolean;
}

export function registerInventoryCommand(program: Command, context: CommandContext): void {
  addHostLoginOptions(program.command("inventory").description("list a host's VMs, their disks and snapshots, and what a backup would refuse"))
    .option("--min-datastore-free <share|size>", "the free space backup's --min-datastore-free asks of a running VM's datastores, to say which datastores fall short (default 5%)")
    .option("--json", "print the whole inventory as JSON")
    .action(async (options: InventoryOptions) => {
      const parsedMinimum = options.minDatastoreFree === undefined ? undefined : parseMinDatastoreFree(options.minDatastoreFree);
      const login = await hostLogin(options, context.env);
      // Loaded here: ssh2 and the transporter are not needed by the CLI's other commands.
      const { DEFAULT_DATASTORE_FREE_MINIMUM, datastoreShortfall, readDatastores, readHostInventory } = await import("@esxbackup/transporter");
      const minimum = parsedMinimum ?? DEFAULT_DATASTORE_FREE_MINIMUM;
      const session = await openHostSession(login, context);
      try {
        const [inventory, volumes] = await Promise.all([readHostInventory(session, { signal: context.signal }), readDatastores(session, { signal: context.signal })]);
        const datastores: InventoryDatastore[] = volumes.map((volume) => ({ ...volume, runningVmBackups: datastoreShortfall(volume, minimum) === undefined ? "ok" : "refused" }));
        if (options.json === true) {
          context.stdout.write(`${JSON.stringify({ host: session.label, ...inventory, datastores, minDatastoreFree: minimum })}\n`);
        } else {
          context.stdout.write(renderInventoryTable(session.label, inventory, { datastores, minimum }));
        }
        context.setExitCode(inventory.unreadableVms.length === 0 ? ExitCode.ok : ExitCode.problemsFound);
      } finally {
        await session.close();
      }
    });
}
