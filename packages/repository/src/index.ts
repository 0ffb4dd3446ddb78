/**
 * @esxbackup/repository — where every byte of every backup lives: a content-addressed chunk store of
 * fixed-size disk chunks, one fixed index per disk per recovery point, and a manifest per point. The
 * on-disk format is the contract written down in docs/repository-format.md.
 */
export const REPOSITORY_PACKAGE = "@esxbackup/repository";
