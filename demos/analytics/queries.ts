// The SQL woodgrove proposes. Statements are separated by lines `---`; `--- name` names the
// statement after it, whose result later ones read as a table; the last one's result is the
// output. The minimum group size counts rows of the relation the last statement reads (one
// row per matched person), grouped by `segment`: a segment with fewer people is left out.

export const MIN_GROUP_SIZE = 50;
export const MIN_ROWS = 1000;

/** Per interest segment: how many woodgrove customers northwind reaches, and their value. */
export const OVERLAP_SQL = `--- matched
SELECT a.segment, c.lifetime_value
FROM audience a
JOIN customers c ON a.email_hash = c.email_hash
---
SELECT segment,
       COUNT(*) AS customers,
       ROUND(AVG(lifetime_value), 2) AS avg_lifetime_value
FROM matched
GROUP BY segment
ORDER BY customers DESC, segment
`;

/** The same join, but it also reads northwind's device ids — not an allowed field. */
export const DEVICE_SQL = `SELECT a.segment,
       COUNT(DISTINCT a.device_id) AS customers,
       ROUND(AVG(c.lifetime_value), 2) AS avg_lifetime_value
FROM audience a
JOIN customers c ON a.email_hash = c.email_hash
GROUP BY a.segment
`;
