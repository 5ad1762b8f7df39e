// cleanroom sandbox — default constitution, part 3 of 4: resolve.
// Only ACTIVE members count. A proposer who has not cast a ballot counts as voting for its own
// proposal (an explicit ballot from the proposer overrides that). Accepted once a strict majority
// of active members is in favour, Rejected once a strict majority is against, otherwise Open; a
// single-member consortium therefore accepts its member's proposals at creation.
//
// Additions may register resolvers for their own actions (`resolvers.push(fn)`): each is called
// with the same arguments and the set of active member ids, and returns "Accepted", "Rejected",
// "Open", or undefined to leave the proposal to the next resolver and finally to the majority.

const resolvers = [];

function activeMemberIds() {
  const active = new Set();
  ccf.kv["public:ccf.gov.members.info"].forEach((value, key) => {
    if (ccf.bufToJsonCompatible(value).status === "Active") active.add(ccf.bufToStr(key));
  });
  return active;
}

export function resolve(proposal, proposerId, votes) {
  const active = activeMemberIds();
  for (const resolver of resolvers) {
    const outcome = resolver(JSON.parse(proposal), proposerId, votes, active);
    if (outcome !== undefined) return outcome;
  }
  const counted = votes.filter((v) => active.has(v.member_id));
  let inFavour = counted.filter((v) => v.vote === true).length;
  const against = counted.length - inFavour;
  if (active.has(proposerId) && !counted.some((v) => v.member_id === proposerId)) inFavour++;
  const majority = Math.floor(active.size / 2);
  if (inFavour > majority) return "Accepted";
  if (against > majority) return "Rejected";
  return "Open";
}
