/**
 * Branded identifiers. A brand keeps a `TaskId` from being passed where a `TransporterId` is expected even
 * though both are strings at run time. Parsing functions are the only way to mint one from untrusted text.
 */
import { InvalidInputError } from "./invalid-input-error.js";

declare const brand: unique symbol;
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

export type TransporterId = Brand<string, "TransporterId">;
export type TaskId = Brand<string, "TaskId">;
export type HostId = Brand<string, "HostId">;
export type PointId = Brand<string, "PointId">;

/** Ids travel in URLs, logs and file names: keep them to a conservative alphabet. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function parseId<T extends string>(kind: string, value: string): T {
  if (!ID_PATTERN.test(value)) {
    throw new InvalidInputError(
      kind,
      `must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit (got ${JSON.stringify(value)})`,
    );
  }
  return value as T;
}

export const parseTransporterId = (value: string): TransporterId => parseId("transporter id", value);
export const parseTaskId = (value: string): TaskId => parseId("task id", value);
export const parseHostId = (value: string): HostId => parseId("host id", value);
export const parsePointId = (value: string): PointId => parseId("recovery point id", value);
