// Scanner fingerprints: the user agents and headers of attack tools.
import { AttackClass, CRITICAL, HIGH } from "../score";
import { report } from "../inspect/scan";
import { findNoCase } from "../inspect/text";
import { WordSet } from "../inspect/word-set";

const AGENTS: StaticArray<string> = [
  "sqlmap", "nikto", "nmap scripting", "nmap nse", "masscan", "zgrab", "nuclei", "acunetix",
  "netsparker", "w3af", "dirbuster", "gobuster", "wfuzz", "ffuf", "arachni", "openvas", "nessus",
  "whatweb", "wpscan", "joomscan", "havij", "jaeles", "zmeu", "morfeus", "fimap", "sqlninja",
  "pangolin", "webinspect", "appscan", "commix", "xsstrike", "dalfox", "skipfish", "vega/",
  "paros", "owasp zap", "zaproxy", "feroxbuster", "dirsearch", "hydra", "brutus", "bsqlbf",
  "grabber", "webshag", "metasploit", "burp collaborator", "burpsuite", "qualys", "detectify",
  "probely", "wapiti", "xspider", "zmap", "internet-measurement", "netlab360", "l9explore",
  "httpx - open-source", "interactsh", "fuzz faster u fool", "nikto/", "sqlsus", "absinthe", "teh forest lobster", "medusa", "ncrack", "cgichk",
  // out-of-band callback domains scanners put in headers, and Nessus plugin file names
  "burpcollaborator.net", "oastify.com", "interact.sh", "oast.fun", "oast.pro", "oast.live",
  "oast.site", "oast.online", "oast.me", ".nasl",
];

const AGENT_SET = new WordSet(AGENTS, false);

export function detectScannerAgent(p: usize, len: usize): void {
  if (AGENT_SET.find(p, len, 0) >= 0) report(AttackClass.Scanner, CRITICAL, 1, "scanner-user-agent", AGENT_SET.at, 32);
}

/** Headers only scanners send. */
export function scannerHeader(p: usize, len: usize): bool {
  return (len == 16 && findNoCase(p, len, "acunetix-product", 0) == 0) ||
    (len == 9 && findNoCase(p, len, "x-scanner", 0) == 0) ||
    (len == 6 && findNoCase(p, len, "x-wipp", 0) == 0) ||
    (len == 18 && findNoCase(p, len, "acunetix-aspect-id", 0) == 0) ||
    (len == 20 && findNoCase(p, len, "x-request-memo-scan", 0) == 0);
}

export function reportScannerHeader(): void {
  report(AttackClass.Scanner, HIGH + 1, 1, "scanner-header", 0, 0);
}
