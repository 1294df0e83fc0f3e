/**
 * Who may publish to the alert topics, and which events reach them: the topic policy, the EventBridge patterns of
 * GuardDuty findings, AWS Backup failures and failed secret rotations, and the notifications of the monthly budget.
 * Pure functions.
 */
import { policyDocument, type PolicyDocument, type PolicyStatement } from "./iam";

/**
 * The AWS services that publish to the alert topics: CloudWatch alarms, EventBridge rules (GuardDuty findings,
 * AWS Backup job failures) and AWS Backup notifications. The regional key policy (lib/keyPolicy.ts) lets the same
 * three use the topic's key.
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export const ALERT_PUBLISHER_SERVICES = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com"] as const;

/**
 * The policy of an alert topic: the three services may publish on behalf of this account only (`aws:SourceAccount`,
 * against the confused deputy), and nobody may publish without TLS. Nothing else is granted: principals of the
 * account need both an IAM policy allowing `sns:Publish` and the KMS permissions on the key, which is how the
 * failover orchestrator publishes its timelines (lib/failoverPolicy.ts). Its role is deliberately not named here:
 * SNS refuses a policy whose principal does not exist yet (`PrincipalNotFound`, terraform-provider-aws#26041), and
 * keeps a replaced role's stale id (terraform-provider-aws#38178); for a principal of the same account the IAM policy
 * alone suffices.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function alertTopicPolicy(args: { topicArn: string; accountId: string }): PolicyDocument {
    const statements: PolicyStatement[] = [
        {
            Sid: "AwsServicesPublishAlertsOfThisAccount",
            Effect: "Allow",
            Principal: { Service: [...ALERT_PUBLISHER_SERVICES] },
            Action: "sns:Publish",
            Resource: args.topicArn,
            Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
        },
    ];
    statements.push({
        Sid: "DenyPublishWithoutTls",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: args.topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    return policyDocument(statements);
}

/**
 * GuardDuty severities: 7.0 to 8.9 is High, 9.0 to 10.0 Critical. Findings from 7 up page the on-call engineer.
 * @see https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html
 */
export const GUARDDUTY_HIGH_SEVERITY = 7;

/**
 * GuardDuty findings of high or critical severity, as GuardDuty sends them to EventBridge in the detector's region.
 * @see https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching
 */
export function guardDutyHighSeverityPattern(): string {
    return JSON.stringify({
        source: ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        detail: { severity: [{ numeric: [">=", GUARDDUTY_HIGH_SEVERITY] }] },
    });
}

/** Job events of AWS Backup that mean a recovery point was not made, copied or restored. */
export const BACKUP_JOB_EVENTS = ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"] as const;
/** The end states of a job that did not succeed (`PARTIAL`: some of a composite job's resources failed). */
export const BACKUP_FAILED_STATES = ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"] as const;

/**
 * AWS Backup jobs that failed. Backup and copy job events report `state`, restore job events `status` (as the
 * AWS Backup API does), so the pattern matches either. AWS Backup emits these events in the job's region, best effort,
 * every five minutes.
 * @see https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example-or
 */
export function backupFailurePattern(): string {
    return JSON.stringify({
        source: ["aws.backup"],
        "detail-type": [...BACKUP_JOB_EVENTS],
        $or: [{ detail: { state: [...BACKUP_FAILED_STATES] } }, { detail: { status: [...BACKUP_FAILED_STATES] } }],
    });
}

/**
 * The Secrets Manager event that says a rotation failed: a CloudTrail event that is not an API call, which
 * EventBridge receives on the default bus of the secret's region as "AWS Service Event via CloudTrail" (best effort).
 * A failed rotation leaves the secret on its current password (the pending one is not staged), so nothing breaks at
 * once, which is why it must be said out loud: the next one fails too until the cause is fixed.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const SECRET_ROTATION_FAILURE_EVENTS = ["RotationFailed"] as const;

/** Failed rotations of any secret of the region, as Secrets Manager sends them to EventBridge. */
export function secretRotationFailurePattern(): string {
    return JSON.stringify({
        source: ["aws.secretsmanager"],
        "detail-type": ["AWS Service Event via CloudTrail"],
        detail: { eventSource: ["secretsmanager.amazonaws.com"], eventName: [...SECRET_ROTATION_FAILURE_EVENTS] },
    });
}

/** One notification of a budget, as `aws.budgets.Budget` takes it. */
export interface BudgetNotification {
    readonly comparisonOperator: "GREATER_THAN";
    readonly notificationType: "ACTUAL" | "FORECASTED";
    readonly threshold: number;
    readonly thresholdType: "PERCENTAGE";
    readonly subscriberEmailAddresses: string[];
}

/**
 * When the budget emails: actual spend past 80% and 100% of the month's amount, and a forecast past 100% (early
 * warning). Budgets emails the addresses directly, so the alert topics need not admit another service. A budget
 * notification takes at most 10 email subscribers.
 * @see https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_CreateNotification.html
 */
export function budgetNotifications(emails: readonly string[]): BudgetNotification[] {
    if (emails.length === 0 || emails.length > MAX_BUDGET_SUBSCRIBERS) {
        throw new Error(
            `A budget notification takes 1 to ${MAX_BUDGET_SUBSCRIBERS} email addresses; healthcare-dr:alerts.emails lists ${emails.length}.`,
        );
    }
    const notification = (notificationType: BudgetNotification["notificationType"], threshold: number): BudgetNotification => ({
        comparisonOperator: "GREATER_THAN",
        notificationType,
        threshold,
        thresholdType: "PERCENTAGE",
        subscriberEmailAddresses: [...emails],
    });
    return [notification("ACTUAL", 80), notification("ACTUAL", 100), notification("FORECASTED", 100)];
}

/** Email subscribers per budget notification. @see https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-limits.html */
export const MAX_BUDGET_SUBSCRIBERS = 10;
