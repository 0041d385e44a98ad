// Server-side includes (<!--#exec cmd=...-->, <!--#include virtual=...-->) and Edge Side
// Includes (<esi:include src=...>).
import { AttackClass, CRITICAL, HIGH } from "../score";
import { report } from "../inspect/scan";
import { atNoCase, findNoCase, isSpace } from "../inspect/text";

const DIRECTIVES: StaticArray<string> = ["exec", "include", "echo", "config", "printenv", "set", "fsize", "flastmod", "if", "elif", "else", "endif"];

export function detectSsi(p: usize, len: usize): void {
  let from: usize = 0;
  for (let n = 0; n < 4; n++) {
    const at = findNoCase(p, len, "<!--#", from);
    if (at < 0) break;
    let i = <usize>at + 5;
    from = i;
    while (i < len && isSpace(load<u8>(p + i))) i++;
    for (let d = 0; d < DIRECTIVES.length; d++) {
      if (atNoCase(p + i, p + len, unchecked(DIRECTIVES[d]))) {
        report(AttackClass.Ssi, d < 6 ? CRITICAL : HIGH, 1, "ssi-directive", <usize>at, 48);
        return;
      }
    }
  }
  const esi = findNoCase(p, len, "<esi:", 0);
  if (esi >= 0) report(AttackClass.Ssi, CRITICAL, 1, "esi-tag", <usize>esi, 48);
}
