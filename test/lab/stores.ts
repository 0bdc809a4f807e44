// The IMAP stores of the lab besides the main Dovecot: one mail domain per server, each with a probe
// account, delivered to by the lab's Postfix (the same SMTP → HAProxy → postscreen → Rspamd path; only
// the store changes). Data only: test/lab/imap-servers.ts starts them, the shapes matrix reads them.
import { accounts, port } from "./topology.js";

export type StoreId = "dovecot-inboxdot" | "cyrus-alt" | "cyrus-trad" | "cyrus-nouidplus" | "courier";

export interface Store {
  id: StoreId;
  server: string;
  version: string;
  /** The personal namespace as the server announces it. */
  layout: string;
  /** The mail domain Postfix routes to this store. */
  domain: string;
  port: number;
  /** The account (same password as the main lab's probe). */
  user: string;
  password: string;
  /** The junk folder's full name on this server, and the folder as a user would write it in config. */
  junkFull: string;
  junkShort: string;
  uidplus: boolean;
  /** Whether SELECT answers [UIDNEXT] (Courier does not). */
  selectUidnext: boolean;
}

const password = accounts.probe.password;
const mk = (s: Omit<Store, "user" | "password">): Store => ({ ...s, user: `probe@${s.domain}`, password });

export const stores: readonly Store[] = [
  mk({
    id: "dovecot-inboxdot",
    server: "Dovecot",
    version: "2.3.19",
    layout: 'prefix "INBOX." separator "."',
    domain: "inboxdot.lab.test",
    port: port.imapsInboxDot,
    junkFull: "INBOX.Junk",
    junkShort: "Junk",
    uidplus: true,
    selectUidnext: true,
  }),
  mk({
    id: "cyrus-alt",
    server: "Cyrus IMAP",
    version: "3.6.1",
    layout: 'altnamespace: yes, separator "/"',
    domain: "cyrus.lab.test",
    port: port.imapsCyrusAlt,
    junkFull: "Junk",
    junkShort: "Junk",
    uidplus: true,
    selectUidnext: true,
  }),
  mk({
    id: "cyrus-trad",
    server: "Cyrus IMAP",
    version: "3.6.1",
    layout: 'altnamespace: no, prefix "INBOX." separator "."',
    domain: "cyrus.lab.test",
    port: port.imapsCyrusTrad,
    junkFull: "INBOX.Junk",
    junkShort: "Junk",
    uidplus: true,
    selectUidnext: true,
  }),
  mk({
    id: "cyrus-nouidplus",
    server: "Cyrus IMAP",
    version: "3.6.1",
    layout: 'altnamespace: yes, separator "/", suppress_capabilities: UIDPLUS',
    domain: "cyrus.lab.test",
    port: port.imapsCyrusNoUidplus,
    junkFull: "Junk",
    junkShort: "Junk",
    uidplus: false,
    selectUidnext: true,
  }),
  mk({
    id: "courier",
    server: "Courier-IMAP",
    version: "5.0.13",
    layout: 'prefix "INBOX." separator "."',
    domain: "courier.lab.test",
    port: port.imapsCourier,
    junkFull: "INBOX.Junk",
    junkShort: "Junk",
    uidplus: true,
    selectUidnext: false,
  }),
];

export const storeById = (id: StoreId): Store => stores.find((s) => s.id === id)!;

/** Distinct mail domains (Cyrus's three listeners share one store). */
export const storeDomains = [...new Set(stores.map((s) => s.domain))];
