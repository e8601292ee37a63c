// What the policy engine answers for one command.

import type { Action, MaskingRule, Review } from '../../api/types.js';

export interface Decision {
  readonly action: Action;
  /** `namespace/name` of the deciding policy; empty when no policy selected the pod and identity. */
  readonly policy: string;
  /** The deciding rule's name, or `(default)` when the policy's defaultAction decided. */
  readonly rule: string;
  /** One line a human can read: why this decision. */
  readonly reason: string;
  /** Set when action is `review`. */
  readonly review?: Review;
  /**
   * The masking rules that apply to results on this target for this identity,
   * from every policy that selects it. The same array object is returned for as
   * long as the compiled policy set lives, so callers can cache a compiled
   * masker keyed on it (WeakMap).
   */
  readonly masking: readonly MaskingRule[];
}

export const DEFAULT_RULE = '(default)';
