/**
 * The program: everything the stack declares, given its validated configuration.
 *
 * Kept apart from `index.ts` so that it never reads configuration itself: `index.ts` loads and validates the
 * config once, before any resource exists, and hands it here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RegionalKey } from "./components/RegionalKey";
import type { StackConfig } from "./config";
import { physicalName } from "./lib/naming";
import { describeRegion } from "./lib/regions";

/** One of the two regions, with the provider every resource in it must use. */
export interface Region {
    /** `primary` or `dr`: the role of the region in this stack. */
    readonly role: "primary" | "dr";
    /** The AWS region code, e.g. `eu-west-2`. */
    readonly name: string;
    /** The explicit provider for this region; nothing in the program relies on the ambient region. */
    readonly provider: aws.Provider;
    /** The availability zones used in this region, `azCount` of them, in AWS's order. */
    readonly availabilityZones: pulumi.Output<string[]>;
    /** The region's customer-managed key: everything stored in the region is encrypted with it. */
    readonly key: RegionalKey;
}

/** The stack outputs. */
export interface ProgramOutputs {
    readonly environment: string;
    readonly primaryRegion: string;
    readonly drRegion: string;
    readonly accountId: pulumi.Output<string>;
    readonly availabilityZones: { readonly primary: pulumi.Output<string[]>; readonly dr: pulumi.Output<string[]> };
    readonly kmsKeyArns: { readonly primary: pulumi.Output<string>; readonly dr: pulumi.Output<string> };
    readonly objectives: { readonly rto: string; readonly rpo: string; readonly rtoSeconds: number; readonly rpoSeconds: number };
}

export function createProgram(config: StackConfig): ProgramOutputs {
    const primary = defineRegion(config, "primary", config.primaryRegion);
    const dr = defineRegion(config, "dr", config.drRegion);
    const caller = aws.getCallerIdentityOutput({}, { provider: primary.provider });

    return {
        environment: config.environment,
        primaryRegion: config.primaryRegion,
        drRegion: config.drRegion,
        accountId: caller.accountId,
        availabilityZones: { primary: primary.availabilityZones, dr: dr.availabilityZones },
        kmsKeyArns: { primary: primary.key.arn, dr: dr.key.arn },
        objectives: {
            rto: config.objectives.rto.text,
            rpo: config.objectives.rpo.text,
            rtoSeconds: config.objectives.rto.seconds,
            rpoSeconds: config.objectives.rpo.seconds,
        },
    };
}

function defineRegion(config: StackConfig, role: Region["role"], name: string): Region {
    const provider = new aws.Provider(role, {
        region: name as aws.Region,
        // Belt and braces: every resource also sets its tags explicitly (the plan, tests and policies read those),
        // and the provider adds them to anything AWS tags on our behalf.
        defaultTags: { tags: { ...config.tags } },
    });
    const zones = aws.getAvailabilityZonesOutput(
        // Only the region's own zones: Local Zones and Wavelength Zones are opt-in and lack Aurora.
        { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
        { provider },
    );
    const availabilityZones = zones.names.apply((names) => {
        if (names.length < config.network.azCount) {
            throw new pulumi.RunError(
                `healthcare-dr:network.azCount is ${config.network.azCount}, but ${describeRegion(name)} has only ${names.length} availability zones available to this account (${names.join(", ")}); lower azCount or choose another region`,
            );
        }
        return names.slice(0, config.network.azCount);
    });
    const key = new RegionalKey(
        `${role}-key`,
        { region: name, alias: `alias/${physicalName(config.stack, [role, "data"])}`, protect: config.protect, tags: config.tags },
        { providers: [provider] },
    );
    return { role, name, provider, availabilityZones, key };
}
