/**
 * CloudWatch dashboard bodies, built from the metric and alarm definitions of lib/alarms.ts and lib/replication.ts
 * (never from copies of them), so that a graph always shows what its alarm watches, with the alarm's threshold drawn
 * on it. Pure functions of plain strings.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import type { AlarmDefinition, MetricDefinition, Statistic } from "./alarms";
import type { AlarmDefinition as ReplicationAlarmDefinition } from "./replication";

/** One graph: metrics of one region, with optional threshold lines. */
export interface DashboardGraph {
    readonly title: string;
    /** The region the metrics are published in (a dashboard may show several regions). */
    readonly region: string;
    readonly metrics: readonly MetricDefinition[];
    readonly thresholds?: readonly { readonly value: number; readonly label: string }[];
}

/** A titled row of graphs. */
export interface DashboardSection {
    readonly title: string;
    readonly graphs: readonly DashboardGraph[];
    /** Shown when the section has no graph (e.g. the orchestrator is not deployed yet). */
    readonly emptyText?: string;
}

/** The graph of an alarm: its metric, and its threshold as a horizontal line. */
export function alarmGraph(alarm: AlarmDefinition, region: string): DashboardGraph {
    return {
        title: alarm.metric.label,
        region,
        // A summed alarm (metric math) is drawn as its terms, with the threshold the sum must not exceed.
        metrics: alarm.sumOf ?? [alarm.metric],
        thresholds: [{ value: alarm.threshold, label: `alarm: ${alarm.comparisonOperator} ${alarm.threshold}` }],
    };
}

/** The metric an S3 replication alarm of lib/replication.ts watches, in this module's terms. */
export function replicationAlarmMetric(alarm: ReplicationAlarmDefinition, dimensions: Readonly<Record<string, string>>): MetricDefinition {
    return {
        namespace: alarm.namespace,
        metricName: alarm.metricName,
        dimensions,
        statistic: alarm.statistic as Statistic,
        period: alarm.period,
        label: `${alarm.metricName} (${String(dimensions["RuleId"] ?? "")})`,
    };
}

/** Dashboard grid: 24 units wide; three graphs per row. */
const GRID_WIDTH = 24;
const GRAPH_WIDTH = 8;
const GRAPH_HEIGHT = 6;
const TITLE_HEIGHT = 1;

type MetricRow = (string | { readonly stat: string; readonly period: number; readonly label: string })[];

/** A metric as the dashboard body writes it: namespace, name, dimension pairs, then the rendering options. */
export function metricRow(metric: MetricDefinition): MetricRow {
    const pairs = Object.entries(metric.dimensions).flatMap(([name, value]) => [name, value]);
    return [metric.namespace, metric.metricName, ...pairs, { stat: metric.statistic, period: metric.period, label: metric.label }];
}

/** The JSON body of a dashboard: each section a Markdown title and its graphs, three to a row. */
export function dashboardBody(sections: readonly DashboardSection[]): string {
    const widgets: unknown[] = [];
    let y = 0;
    for (const section of sections) {
        const text =
            section.graphs.length === 0 && section.emptyText !== undefined
                ? `## ${section.title}\n${section.emptyText}`
                : `## ${section.title}`;
        widgets.push({
            type: "text",
            x: 0,
            y,
            width: GRID_WIDTH,
            height: section.graphs.length === 0 ? 2 : TITLE_HEIGHT,
            properties: { markdown: text },
        });
        y += section.graphs.length === 0 ? 2 : TITLE_HEIGHT;
        section.graphs.forEach((graph, i) => {
            const column = i % (GRID_WIDTH / GRAPH_WIDTH);
            if (i > 0 && column === 0) {
                y += GRAPH_HEIGHT;
            }
            widgets.push({
                type: "metric",
                x: column * GRAPH_WIDTH,
                y,
                width: GRAPH_WIDTH,
                height: GRAPH_HEIGHT,
                properties: {
                    title: graph.title,
                    region: graph.region,
                    view: "timeSeries",
                    stacked: false,
                    metrics: graph.metrics.map(metricRow),
                    ...(graph.thresholds !== undefined && graph.thresholds.length > 0
                        ? { annotations: { horizontal: graph.thresholds.map((t) => ({ value: t.value, label: t.label })) } }
                        : {}),
                },
            });
        });
        if (section.graphs.length > 0) {
            y += GRAPH_HEIGHT;
        }
    }
    return JSON.stringify({ widgets });
}
