import { UserError } from "../core/errors.js";
import { qemuVm } from "./qemu/instance.js";
import type { VmImplementation } from "./types.js";

/** Every way kharness can run a guest; tests add a fake through `registerVm`. */
const VM_IMPLEMENTATIONS = new Map<string, VmImplementation>([[qemuVm.name, qemuVm]]);

export function registerVm(impl: VmImplementation): void {
  VM_IMPLEMENTATIONS.set(impl.name, impl);
}

export function vmImplementation(name: string): VmImplementation {
  const impl = VM_IMPLEMENTATIONS.get(name);
  if (!impl) throw new UserError(`no VM implementation "${name}"`, `use one of: ${[...VM_IMPLEMENTATIONS.keys()].join(", ")}`);
  return impl;
}
