/**
 * Questions a VM asks while it powers on (`runtime.question`): the power-on waits until each is answered
 * (`vim-cmd vmsvc/message VMID ID CHOICE`), and `vim-cmd vmsvc/power.on` does not return meanwhile —
 * scripts on real hosts run it in the background and answer from another shell.
 *
 * Which questions: a device connected at power-on to a device of the host (a CD-ROM drive, a floppy drive,
 * a serial or parallel port) asks "Cannot connect the virtual device … because no corresponding device is
 * available on the host. Do you want to try to connect this virtual device every time you power on the
 * virtual machine?" (the words hosted products print; on ESXi [UNCONFIRMED], like the message id, the
 * choices' keys and which is the default). The simulated host has no such devices. An image on a datastore
 * (`cdrom-image`, a floppy or port backed by a file) asks nothing here.
 */

export interface SimulatedQuestion {
  /** The device it is about (`ide1:0`, `floppy0`). */
  readonly device: string;
  readonly text: string;
  readonly choices: readonly { label: string; key: string }[];
  readonly defaultChoice: number;
}

/** Devices whose backing is the host's own hardware, by how the `.vmx` says so. */
function hostBackedDevices(vmx: ReadonlyMap<string, string>): string[] {
  const devices: string[] = [];
  for (const [key, value] of vmx) {
    const slot = /^((?:ide|sata|scsi)\d+:\d+)\.devicetype$/u.exec(key)?.[1];
    if (slot !== undefined && /^(atapi-cdrom|cdrom-raw)$/iu.test(value)) devices.push(slot);
    const port = /^((?:floppy|serial|parallel)\d+)\.filetype$/u.exec(key)?.[1];
    if (port !== undefined && value.toLowerCase() === "device") devices.push(port);
  }
  return devices;
}

/** The questions a VM with this `.vmx` asks at power-on, in file order (`vmx` keys lower case). */
export function questionsAtPowerOn(vmx: ReadonlyMap<string, string>): SimulatedQuestion[] {
  return hostBackedDevices(vmx)
    .filter((device) => vmx.get(`${device}.present`)?.toLowerCase() === "true" && vmx.get(`${device}.startconnected`)?.toLowerCase() !== "false")
    .map((device) => ({
      device,
      text: `Cannot connect the virtual device ${device} because no corresponding device is available on the host.\nDo you want to try to connect this virtual device every time you power on the virtual machine?`,
      choices: [
        { label: "_Yes", key: "button.yes" },
        { label: "_No", key: "button.no" },
      ],
      defaultChoice: 1,
    }));
}

interface Pending {
  readonly id: string;
  readonly question: SimulatedQuestion;
  readonly answer: (choice: number) => void;
}

/** The questions pending on each VM. Ids count up per host as `_vmx1`, `_vmx2`, … (the form 5.x+ hosts print). */
export class VmQuestions {
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;

  /** Asks `question` of VM `vmid`; resolves with the choice once answered. One question at a time per VM. */
  ask(vmid: number, question: SimulatedQuestion): Promise<number> {
    return new Promise((resolve) => {
      const id = `_vmx${++this.#lastId}`;
      this.#pending.set(vmid, {
        id,
        question,
        answer: (choice) => {
          this.#pending.delete(vmid);
          resolve(choice);
        },
      });
    });
  }

  pending(vmid: number): { id: string; question: SimulatedQuestion } | undefined {
    return this.#pending.get(vmid);
  }

  /** Answers VM `vmid`'s question `id`; false when it has no such question or no such choice. */
  answer(vmid: number, id: string, choice: number): boolean {
    const pending = this.#pending.get(vmid);
    if (pending?.id !== id || !Number.isInteger(choice) || choice < 0 || choice >= pending.question.choices.length) return false;
    pending.answer(choice);
    return true;
  }
}

/** `vim-cmd vmsvc/message VMID` for one pending question, in the layout of VMware's KB and the scripts that read it. */
export function renderVmQuestion(id: string, question: SimulatedQuestion): string {
  const choices = question.choices.map((choice, i) => `   ${i}. ${choice.label} (${choice.key})${i === question.defaultChoice ? " [default]" : ""}\n`);
  return `Virtual machine message ${id}:\n${question.text}\n${choices.join("")}`;
}
