/**
 * Whether text is shaped like an SPDX license expression (ids, LicenseRef-…, AND/OR/WITH,
 * parentheses). Package metadata sometimes carries free text ("GPL2", "custom"): such a
 * value is reported as NOASSERTION with the text kept in a comment, because consumers
 * (grype, policy engines) reject documents with unparseable expressions.
 */
export function isLicenseExpression(text: string): boolean {
  const tokens = text.replace(/[()]/g, ' $& ').trim().split(/\s+/);
  if (tokens.length === 0 || tokens[0] === '') return false;
  let depth = 0;
  let expectOperand = true;
  for (const t of tokens) {
    if (t === '(') {
      if (!expectOperand) return false;
      depth++;
    } else if (t === ')') {
      if (expectOperand || --depth < 0) return false;
    } else if (t === 'AND' || t === 'OR' || t === 'WITH') {
      if (expectOperand) return false;
      expectOperand = true;
    } else {
      if (!expectOperand || !/^(?:(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.-]*\+?)$/.test(t)) return false;
      expectOperand = false;
    }
  }
  return depth === 0 && !expectOperand;
}

/** A single license id (no operators), which CycloneDX writes as `license.id` rather than an expression. */
export function isSingleLicenseId(text: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(text) && !text.startsWith('LicenseRef-');
}
