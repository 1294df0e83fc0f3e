/**
 * Entry point of the healthcare-dr Pulumi program.
 *
 * Reads and validates the stack configuration once, before any resource is declared (an invalid stack file stops
 * here, with every problem listed), then declares the stack.
 */
import { loadStackConfig } from "./config";
import { createProgram } from "./program";

export = createProgram(loadStackConfig());
