import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { PROJECT_ROOT } from "./harness/program";

type Manifest = { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as Manifest;
const all = (m: Manifest) => ({ ...m.dependencies, ...m.devDependencies });

describe("packaging", () => {
    for (const file of ["package.json", "policy-pack/package.json"]) {
        it(`${file} pins every dependency to one exact version, and its lock file exists`, () => {
            for (const [name, version] of Object.entries(all(read(file)))) {
                expect(version, `${file}: ${name}`).to.match(/^\d+\.\d+\.\d+$/);
            }
            expect(fs.existsSync(path.join(PROJECT_ROOT, path.dirname(file), "package-lock.json")), `${file} lock`).to.equal(true);
        });
    }

    it("runs the policy pack under the CLI with the same Pulumi, AWS and TypeScript versions the tests use", () => {
        const program = all(read("package.json"));
        const pack = all(read("policy-pack/package.json"));
        for (const name of Object.keys(pack)) {
            expect(pack[name], name).to.equal(program[name]);
        }
    });

    it("uses TypeScript 5.x, which Pulumi's Node.js runtime accepts", () => {
        expect(all(read("package.json"))["typescript"]).to.match(/^5\./);
    });
});
