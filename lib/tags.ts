/**
 * Tag rules and the tags every taggable resource carries.
 *
 * Tags are set on each resource explicitly (not only through provider `defaultTags`) because the offline plan, the
 * unit tests and the policy pack see resource inputs, and provider default tags are merged by the provider at deploy
 * time, where none of them can see it.
 */

/**
 * AWS tag limits.
 * @see https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
 */
export const TAG_LIMITS = {
    /** A key is 1 to 128 Unicode characters. */
    maxKeyLength: 128,
    /** A value is 0 to 256 Unicode characters. */
    maxValueLength: 256,
    /** At most 50 user tags on one resource. */
    maxTagsPerResource: 50,
    /** Letters, digits, white space and `_ . : / = + - @`, in keys and values alike. */
    allowedCharacters: /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
    /** The `aws:` prefix is reserved for AWS. */
    reservedPrefix: /^aws:/i,
} as const;

/** Tags the program sets itself from other settings; a stack file may not override them. */
export const PROGRAM_TAG_KEYS = ["Project", "Environment", "Stack", "ManagedBy"] as const;

/** Room left for tags of the stack file: the program's own tags plus `Name`, which components set per resource. */
export const MAX_STACK_TAGS = TAG_LIMITS.maxTagsPerResource - PROGRAM_TAG_KEYS.length - 1;

/** The tags every taggable resource of a stack carries: the program's own, then the stack file's `tags`. */
export function baseTags(args: {
    project: string;
    environment: string;
    stack: string;
    extra: Readonly<Record<string, string>>;
}): Record<string, string> {
    return {
        Project: args.project,
        Environment: args.environment,
        Stack: args.stack,
        ManagedBy: "pulumi",
        ...args.extra,
    };
}
