/**
 * A power-on that cannot finish until someone answers the VM's question (vm-question.ts). Nothing is
 * answered for the user but the one safe, documented answer (`safeAnswer`); the power-on task stays on the
 * host, waiting, so answering the question later finishes it (or, with its cancel choice, leaves the VM
 * off). The message quotes the question and says where to answer it.
 */
import { EsxbackupError } from "@esxbackup/domain";
import { describeVmQuestion, type VmQuestion } from "./vm-question.js";

export class VmQuestionPendingError extends EsxbackupError {
  readonly vmid: string;
  readonly question: VmQuestion;

  constructor(vmid: string, question: VmQuestion) {
    super(
      "vm_question_pending",
      `VM ${vmid} is waiting for an answer before it powers on: ${describeVmQuestion(question)}. ` +
        `Answer it in the ESXi Host Client (Virtual machines, select the VM, "Answer question"), or on the host with ` +
        `\`vim-cmd vmsvc/message ${vmid} ${question.id} CHOICE\`; the power-on goes on once it is answered`,
    );
    this.vmid = vmid;
    this.question = question;
  }
}
