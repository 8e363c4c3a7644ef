import { shellQuote } from '../connection/quote.ts';

/** What the host's package databases say about some packages, per query tool (dpkg, rpm, apk). */
export interface PackageQuery {
  installed: ReadonlyMap<QueryTool, ReadonlySet<string>>;
  /** apt has package lists to install from (a fresh image may have none: then `apt-get update` first). */
  aptLists: boolean;
}

export type QueryTool = 'dpkg' | 'rpm' | 'apk';

/**
 * Asks every package tool the host has (usually one) in one read; the plan takes the answer of the
 * manager the host's facts choose. Each section starts with `@tool`; not-installed names print nothing.
 */
export function packageQueryCommand(names: readonly string[]): string {
  const words = names.map(shellQuote).join(' ');
  return [
    `if command -v dpkg-query >/dev/null 2>&1; then echo @dpkg; dpkg-query -W -f='\${Package} \${Status}\\n' ${words} 2>/dev/null; ls /var/lib/apt/lists/ 2>/dev/null | grep -q _Packages && echo @apt-lists; fi`,
    `if command -v rpm >/dev/null 2>&1; then echo @rpm; rpm -q --qf '%{NAME} installed\\n' ${words} 2>/dev/null; fi`,
    `if command -v apk >/dev/null 2>&1; then echo @apk; apk info -e ${words} 2>/dev/null; fi`,
    'true',
  ].join('\n');
}

export function parsePackageQuery(output: string): PackageQuery {
  const installed = new Map<QueryTool, Set<string>>();
  let aptLists = false;
  let current: Set<string> | undefined;
  let tool: QueryTool | undefined;
  for (const line of output.split('\n').map((text) => text.trim()).filter(Boolean)) {
    if (line === '@apt-lists') aptLists = true;
    else if (line === '@dpkg' || line === '@rpm' || line === '@apk') {
      tool = line.slice(1) as QueryTool;
      current = new Set();
      installed.set(tool, current);
    } else if (current && tool) {
      const fields = line.split(/\s+/);
      // dpkg: "name want ok status" (installed only when the status is; "deinstall ok config-files" is not).
      if (tool === 'dpkg' && fields[3] === 'installed') current.add(fields[0]!);
      // rpm prints "package X is not installed" for the others: only our exact two-word format counts.
      if (tool === 'rpm' && fields.length === 2 && fields[1] === 'installed') current.add(fields[0]!);
      if (tool === 'apk' && fields.length === 1) current.add(fields[0]!);
    }
  }
  return { installed, aptLists };
}
