import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { policies } from "../policy-pack/policies";
import { PROJECT_ROOT } from "./harness/program";

const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");

describe("README", () => {
    it("states the policy pack's size as it is", () => {
        const counts = [...readme.matchAll(/(\d+) policies/g)].map((m) => Number(m[1]));
        expect(counts).to.not.be.empty;
        for (const count of counts) expect(count).to.equal(policies.length);
    });

    it("names exactly the policies that leave part of their decision to pulumi up, and says how many", () => {
        const section = /### What a first preview decides\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
        const deferred = policies.filter((p) => p.metadata.atPreview !== undefined).map((p) => p.name);
        expect(deferred.filter((name) => !section.includes(`\`${name}\``))).to.deep.equal([]);
        const words = ["zero", "one", "two", "three", "four", "five", "six"];
        expect(readme).to.include(`${words[deferred.length]} policies leave the content of documents`);
    });

    it("gives the two set-up commands, and .ci/run runs the test one", () => {
        expect(readme).to.include("bash scripts/demo.sh");
        expect(readme).to.include("bash scripts/test.sh");
        expect(fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "run"), "utf8")).to.match(/exec bash scripts\/test\.sh/);
    });

    it("documents every config key of the schema, nested ones included, in the configuration reference", async () => {
        const schema = await import("../config/schema");
        const nested: Record<string, { shape: Record<string, unknown> }> = {
            network: schema.networkSchema,
            database: schema.databaseSchema,
            objectives: schema.objectivesSchema,
            alerts: schema.alertsSchema,
            logging: schema.loggingSchema,
            failover: schema.failoverSchema,
            alarms: schema.alarmsSchema,
            budget: schema.budgetSchema,
            monitoring: schema.monitoringSchema,
            application: schema.applicationSchema,
            "buckets[]": schema.dataSetSchema,
        };
        const keys = Object.keys(schema.stackConfigSchema.shape).flatMap((key) => {
            const inner = nested[key] ?? nested[`${key}[]`];
            const prefix = nested[key] !== undefined ? key : `${key}[]`;
            return inner === undefined
                ? [key]
                : [...(key === "application" ? [key] : []), ...Object.keys(inner.shape).map((k) => `${prefix}.${k}`)];
        });
        for (const key of keys) {
            expect(readme, key).to.match(new RegExp("\\| `" + key.replace(/[[\]]/g, "\\$&") + "(\\.|`)"));
        }
    });
});
