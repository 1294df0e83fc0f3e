/**
 * Every policy of the pack, in one array. The CLI entry point (`policy-pack/index.ts`), the tests and the offline
 * plan all run exactly this list. Importing it has no side effects (no PolicyPack, no gRPC server).
 */
import { auditPolicies } from "./audit";
import { configurationPolicies } from "./configuration";
import { deployConstraintPolicies } from "./deployConstraints";
import { encryptionPolicies } from "./encryption";
import { leastPrivilegePolicies } from "./leastPrivilege";
import type { PackPolicy } from "./lib/policy";
import { monitoringPolicies } from "./monitoring";
import { objectivePolicies } from "./objectives";
import { packConfigPolicy } from "./packConfig";
import { pointerPolicies } from "./pointers";
import { publicAccessPolicies } from "./publicAccess";
import { recoverabilityPolicies } from "./recoverability";
import { residencyPolicies } from "./residency";
import { runReportPolicies } from "./runReports";
import { taggingPolicies } from "./tagging";
import { transitPolicies } from "./transit";

export type { PackPolicy, PolicyMetadata, HipaaSection } from "./lib/policy";
export { HIPAA_SECTIONS, isStackPolicy } from "./lib/policy";

const controls: readonly PackPolicy[] = [
    ...encryptionPolicies,
    ...transitPolicies,
    ...publicAccessPolicies,
    ...auditPolicies,
    ...monitoringPolicies,
    ...recoverabilityPolicies,
    ...leastPrivilegePolicies,
    ...configurationPolicies,
    ...residencyPolicies,
    ...taggingPolicies,
    ...deployConstraintPolicies,
    ...objectivePolicies,
    ...pointerPolicies,
    ...runReportPolicies,
];

/** The controls, and the policy that checks the pack config names only them and their settings. */
export const policies: readonly PackPolicy[] = [...controls, packConfigPolicy(controls)];
