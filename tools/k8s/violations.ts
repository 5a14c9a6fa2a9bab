// A rule broken by a rendered object: what the policy and contract checks return, and how test
// failure messages print them.
export interface Violation {
  /** "Deployment/anypod-auth" */
  object: string;
  /** a stable id, e.g. "pss.runAsNonRoot", that tests match on */
  rule: string;
  /** what is wrong and what to change */
  message: string;
}

export const violation = (object: string, rule: string, message: string): Violation => ({ object, rule, message });

/** One line per violation, for test failure messages. */
export const formatViolations = (violations: Violation[]): string => violations.map((v) => `  ${v.object}: [${v.rule}] ${v.message}`).join('\n');
