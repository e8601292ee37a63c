// The chain's attribute names, shared by both chain versions and the readers.

export const CHAIN_HASH = 'agentgate.chain.hash';
/** 1, 2, 3... the span's place in the chain (arrival order of the commands). */
export const CHAIN_INDEX = 'agentgate.chain.index';
/** Session span: how many command spans the chain covers. */
export const CHAIN_LENGTH = 'agentgate.chain.length';
