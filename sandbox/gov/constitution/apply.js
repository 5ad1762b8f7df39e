// cleanroom sandbox — default constitution, part 4 of 4: apply.

export function apply(proposal, proposalId) {
  for (const action of JSON.parse(proposal).actions) {
    actions.get(action.name).apply(action.args, proposalId);
  }
}
