import { UserError } from "../core/errors.js";
import { qemuVm } from "./qemu/vm.js";
import type { VmImplementation } from "./types.js";

/** Every way kharness can run a guest, by name (one line each); the tests hand the pipeline a fake directly. */
const VM_IMPLEMENTATIONS = new Map<string, VmImplementation>([[qemuVm.name, qemuVm]]);

/** The implementation the commands run guests with. */
export const DEFAULT_VM = qemuVm.name;

export function vmImplementation(name: string): VmImplementation {
  const impl = VM_IMPLEMENTATIONS.get(name);
  if (!impl)
    throw new UserError(`no VM implementation "${name}"`, `use one of: ${[...VM_IMPLEMENTATIONS.keys()].join(", ")}`);
  return impl;
}
