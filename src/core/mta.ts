// The MTAs whose Received grammar mailprobe reads (checks/grammars.ts): the values of `received.mta`.
export const MTAS = ["postfix", "exim", "opensmtpd", "sendmail", "exchange", "stalwart", "mox"] as const;
export type Mta = (typeof MTAS)[number];
