/**
 * The CLI entry point of the pack: `pulumi preview --policy-pack policy-pack`. Constructing the PolicyPack starts
 * the analyzer's gRPC server, so nothing but the CLI imports this file; tests and tools import `./policies`.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";
import { captureConfigure } from "./policies/packConfig";

// Before the server starts: the policy-pack-config policy needs the whole config the engine configures it with.
captureConfigure();

new PolicyPack("healthcare-dr-hipaa", {
    description: "HIPAA Security Rule controls for the healthcare-dr two-region disaster-recovery program.",
    // Each policy sets its own level; a policy added without one blocks the deployment until reviewed.
    enforcementLevel: "mandatory",
    policies: [...policies],
});
