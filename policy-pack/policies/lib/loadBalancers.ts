/**
 * Load balancers as the policies meet them (`aws.lb.LoadBalancer` and its `aws.alb` alias): which are Application
 * Load Balancers and which face the internet (`accessLogBucketsOf` in s3.ts: which buckets receive their access logs).
 */
import type { PolicyResource } from "@pulumi/policy";
import { LOAD_BALANCER_TYPES } from "./types";
import { isTrue, str, type Props } from "./values";

/** True for an Application Load Balancer: `loadBalancerType` unset (the provider's default) or `application`. */
export function isApplicationLoadBalancer(props: Props): boolean {
    return (str(props["loadBalancerType"]) ?? "application") === "application";
}

/** True for a load balancer that faces the internet: `internal` is not true (the provider's default is false). */
export function isInternetFacing(props: Props): boolean {
    return !isTrue(props["internal"]);
}

/** The Application Load Balancers of a stack. */
export function applicationLoadBalancers(resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => (LOAD_BALANCER_TYPES as readonly string[]).includes(r.type) && isApplicationLoadBalancer(r.props));
}
