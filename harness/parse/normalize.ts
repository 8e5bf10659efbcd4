// [   12.345678] and optional caller id [    T123] / [     C0], in either order of appearance.
const PREFIX = /^(?:\[\s*\d+\.\d+\]\s?)?(?:\[\s*[TC]\d+\]\s?)?/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]/g;
// dmesg -x style "kern  :warn  : " facility/level prefixes.
const DMESG_LEVEL = /^(?:kern|user|mail|daemon|auth|syslog|lpr|news)\s*:(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: /;

/** Console text clean-up before report matching: the message without timestamp, caller id, ANSI escapes or carriage returns. */
export function normalizeLine(raw: string): string {
  let s = raw.replace(ANSI, "");
  // A carriage return mid-line means the terminal overwrote what came before it.
  const cr = s.lastIndexOf("\r", s.length - 2);
  if (cr >= 0) s = s.slice(cr + 1);
  s = s.replace(/\r$/, "").replace(/^<\d>/, "");
  s = s.replace(DMESG_LEVEL, "");
  return s.replace(PREFIX, "").replace(/\s+$/, "");
}
