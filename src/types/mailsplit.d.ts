// @zone-eu/mailsplit ships no types; mailprobe uses only Headers (src/checks/headers.ts).
declare module "@zone-eu/mailsplit" {
  const mailsplit: unknown;
  export default mailsplit;
}
