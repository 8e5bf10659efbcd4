import { hotplugStep } from "./steps/hotplug.js";
import { memcgWriterStep } from "./steps/memcgWriter.js";
import { scriptStep } from "./steps/script.js";

/** Every workload step a scenario can use; a new step is a file in steps/ and a line here. */
export const WORKLOAD_STEPS = [hotplugStep, memcgWriterStep, scriptStep] as const;
