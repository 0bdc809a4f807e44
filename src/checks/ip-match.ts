// The structured evidence of an IP verdict: which configured list and range matched the entry
// hop's client IP, in the same order checks/received.ts applies them (forbidden first). Pure.
import type { IpMatch, IpVerdict } from "../core/result.js";
import { inAny, type ReceivedRules } from "./received.js";

export function ipMatch(verdict: IpVerdict, rules: ReceivedRules): IpMatch | undefined {
  if (!verdict.ip) return undefined;
  const forbidden = inAny(verdict.ip, rules.forbiddenCidrs);
  if (forbidden) return { list: "forbiddenCidrs", cidr: forbidden };
  const expected = rules.expectedCidrs.length ? inAny(verdict.ip, rules.expectedCidrs) : undefined;
  return expected ? { list: "expectedCidrs", cidr: expected } : undefined;
}
