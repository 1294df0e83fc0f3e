/**
 * ECS container definitions as the policies meet them: `aws.ecs.TaskDefinition.containerDefinitions` is JSON text
 * (a list of ContainerDefinition objects, AWS's own field names), or one value unknown at preview when the program
 * builds it from outputs of resources not created yet (the repository URL, the log group name).
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
 */
import { isRecord, isUnknown, str } from "./values";

export type ParsedContainers =
    | { readonly ok: true; readonly containers: readonly Readonly<Record<string, unknown>>[] }
    | { readonly ok: false; readonly error: string }
    /** Not known before the resources it is built from exist (a preview). */
    | { readonly ok: false; readonly unknown: true; readonly error: string };

export function parseContainerDefinitions(value: unknown): ParsedContainers {
    if (isUnknown(value)) {
        return { ok: false, unknown: true, error: "is built from values known only once the resources it names exist" };
    }
    let parsed: unknown = value;
    if (typeof value === "string") {
        try {
            parsed = JSON.parse(value) as unknown;
        } catch (e) {
            return { ok: false, error: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` };
        }
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(isRecord)) {
        return { ok: false, error: "is not a non-empty JSON list of container definitions" };
    }
    return { ok: true, containers: parsed };
}

/** `container "web"` (or `containerDefinitions[i]`) for messages. */
export function containerLabel(container: Readonly<Record<string, unknown>>, index: number): string {
    const name = str(container["name"]);
    return name !== undefined ? `container "${name}"` : `containerDefinitions[${index}]`;
}

/** True for a `user` that is root: unset, `root`, `0`, or `root`/`0` with a group. */
export function runsAsRoot(user: unknown): boolean {
    const value = str(user);
    return value === undefined || /^(root|0)(:.*)?$/.test(value);
}
