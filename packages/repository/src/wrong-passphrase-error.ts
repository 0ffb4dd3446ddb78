import { InvalidInputError } from "@esxbackup/domain";

/** No key file of the repository opens with the passphrase given. Nothing was read or written. */
export class WrongPassphraseError extends InvalidInputError {
  constructor(keysPath: string) {
    super("passphrase", `does not open any key in ${keysPath} (wrong passphrase?)`);
  }
}
