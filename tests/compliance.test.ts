import * as fs from "fs";
import { expect } from "chai";
import { OUT, render } from "../tools/compliance";

describe("docs/compliance.md", function () {
    this.timeout(60_000);

    it("is exactly what the policies' metadata and the planned stacks generate (run npm run compliance after a change)", async () => {
        expect(fs.readFileSync(OUT, "utf8")).to.equal(await render());
    });
});
