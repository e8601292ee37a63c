// What a refused command becomes, in every protocol: the policy engine's
// decision turned into the agentgate error the agent reads (its message names
// the policy and the rule; its wire codes are in common/errors.ts).

import { type AgentgateError, agError } from '../../common/errors.js';
import type { Classification } from '../policy/command.js';
import type { Decision } from '../policy/decision.js';

/** Null when the decision allows; else the error to answer with. */
export function refusal(decision: Decision, cls: Classification): AgentgateError | null {
  switch (decision.action) {
    case 'allow':
      return null;
    case 'review':
      // Until approvals exist, a review is a refusal that says what it waits for.
      return agError('AG_ERR_POLICY_REVIEW_REQUIRED', decision.policy, decision.rule, decision.reason);
    case 'deny':
      return decision.policy === ''
        ? agError('AG_ERR_POLICY_DEFAULT_DENY', cls.operations.join(', ') || 'this command')
        : agError('AG_ERR_POLICY_DENIED', decision.policy, decision.rule, decision.reason);
  }
}
