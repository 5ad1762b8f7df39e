// cleanroom sandbox — default constitution, part 2 of 4: validate.

export function validate(input) {
  const proposal = JSON.parse(input);
  const errors = [];
  if (!Array.isArray(proposal.actions)) {
    return { valid: false, description: "A proposal must have an array of actions" };
  }
  proposal.actions.forEach((action, position) => {
    const definition = actions.get(action.name);
    if (definition === undefined) {
      errors.push(`${action.name}: no such action`);
      return;
    }
    try {
      definition.validate(action.args);
    } catch (e) {
      errors.push(`${action.name} at position ${position} failed validation: ${e.message}`);
    }
  });
  return errors.length > 0
    ? { valid: false, description: errors.join("; ") }
    : { valid: true, description: "All good" };
}
