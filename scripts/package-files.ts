/**
 * The generated files of the package (run by scripts/package, bundled by esbuild first):
 *   man pages   from the packaged program's own help (it is run) and the option table
 *   copyright   machine-readable (DEP-5), naming every component bundled into the executable:
 *               bondd, the npm packages the bundler took in (from its metafile), and Node.js
 *               with the libraries its LICENSE lists as built into it
 *
 *   node package-files.mjs --stage DIR --binary PATH --version V --date YYYY-MM-DD
 *                          --metafile FILE --node-license FILE --example FILE
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { bondctlPage, bonddPage, bonddYamlPage, commandNames, type PageInfo } from '../src/packaged/man.js';

type Args = Record<'stage' | 'binary' | 'version' | 'date' | 'metafile' | 'node-license' | 'example', string>;

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i]!.replace(/^--/, '') as keyof Args] = argv[i + 1]!;
  for (const key of ['stage', 'binary', 'version', 'date', 'metafile', 'node-license', 'example'] as const) {
    if (!args[key]) throw new Error(`--${key} is required`);
  }
  return args as Args;
}

/** Runs the packaged program as `name` (it dispatches on the name it is started as). */
function helpOf(binary: string, name: string, args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bondd-package-'));
  try {
    symlinkSync(binary, join(dir, name));
    const r = spawnSync(join(dir, name), args, { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' }, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeGzip(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  // Level 9 and no name or time in the header: the same input gives the same bytes.
  writeFileSync(path, gzipSync(text, { level: 9 }), { mode: 0o644 });
}

function writeManPages(args: Args): void {
  const info: PageInfo = { version: args.version, date: args.date };
  const mainHelp = helpOf(args.binary, 'bondctl', ['--help']);
  const commands = commandNames(mainHelp).map((name) => ({ name, help: helpOf(args.binary, 'bondctl', [name, '--help']) }));
  if (commands.length < 5) throw new Error(`bondctl --help lists only ${commands.length} commands`);
  const man = join(args.stage, 'usr/share/man');
  writeGzip(join(man, 'man8/bondctl.8.gz'), bondctlPage(info, mainHelp, commands));
  writeGzip(join(man, 'man8/bondd.8.gz'), bonddPage(info, helpOf(args.binary, 'bondd', ['--help'])));
  writeGzip(join(man, 'man5/bondd.yaml.5.gz'), bonddYamlPage(info, readFileSync(args.example, 'utf8')));
}

interface Component {
  name: string;
  version?: string;
  license: string;
  /** Where the package's files are (npm packages only). */
  root?: string;
}

/** npm packages whose files the bundler put into the executable. */
function bundledPackages(metafile: string): Component[] {
  const inputs = Object.keys((JSON.parse(readFileSync(metafile, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  const roots = new Set<string>();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) roots.add(m[1]!);
  }
  return [...roots].sort().map((root) => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    if (!pkg.license) throw new Error(`${root}: package.json names no licence`);
    return { name: pkg.name, version: pkg.version, license: pkg.license === 'MIT' ? 'Expat' : pkg.license, root };
  });
}

/** Licence of one text block of Node's LICENSE, as a DEP-5 short name. */
function classify(text: string): string {
  if (/Apache License/i.test(text)) return 'Apache-2.0';
  if (/UNICODE LICENSE|Unicode, Inc\./i.test(text)) return 'Unicode-3.0';
  if (/Permission is hereby granted, free of charge/i.test(text)) return 'Expat';
  if (/Permission to use, copy, modify, and(\/or)? distribute/i.test(text)) return 'ISC';
  if (/Neither the name|names of its contributors/i.test(text)) return 'BSD-3-clause';
  if (/Redistribution and use in source and binary forms/i.test(text)) return 'BSD-2-clause';
  if (/provided 'as-is'/i.test(text)) return 'Zlib';
  if (/Creative Commons|CC0|public domain/i.test(text)) return 'CC0-1.0 or public-domain';
  return 'see Node.js LICENSE';
}

/**
 * Components Node's LICENSE lists ("- NAME, located at PATH, is licensed as follows:"), without
 * those that do not end up in the node executable (build tools, tests, npm and corepack, which
 * are separate programs the package does not ship).
 */
function nodeComponents(license: string): Component[] {
  const notInBinary = /^(tools\/|test\/|deps\/npm|deps\/corepack|deps\/googletest|vendor\/)/;
  const blocks = license.split(/^- /m).slice(1);
  const found: Component[] = [];
  for (const block of blocks) {
    const m = /^(.+?), located at (\S+?),? is licensed as follows:/.exec(block);
    if (!m || notInBinary.test(m[2]!)) continue;
    found.push({ name: `${m[1]} (${m[2]!.replace(/\/$/, '')})`, license: classify(block) });
  }
  return found;
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => (l.trim() ? ` ${l.trimEnd()}` : ' .')).join('\n');
}

/**
 * The text of licence `name`: Debian 12's common-licenses has neither Expat nor ISC, so the
 * LICENSE file of a bundled package under that licence is quoted (with its copyright line).
 */
function licenseText(name: string, packages: Component[]): string {
  const common = `/usr/share/common-licenses/${name}`;
  if (existsSync(common)) return `On Debian systems the full text is in ${common}.`;
  for (const p of packages.filter((c) => c.license === name && c.root)) {
    const file = readdirSync(p.root!).find((f) => /^(LICEN[CS]E|COPYING)(\.md|\.txt)?$/i.test(f));
    if (file) return readFileSync(join(p.root!, file), 'utf8');
  }
  throw new Error(`no text for licence ${name}`);
}

/** Debian policy 12.5: refer to common-licenses for the Apache 2.0 text instead of repeating it. */
export function referApache(text: string): string {
  return text.replace(
    /^([ \t]*)Apache License[ \t]*\n[ \t]*Version 2\.0, January 2004[\s\S]*?END OF TERMS AND CONDITIONS/gm,
    '$1Apache License, Version 2.0, January 2004: on Debian systems the full text is in\n$1/usr/share/common-licenses/Apache-2.0.',
  );
}

function copyright(args: Args): string {
  const packages = bundledPackages(args.metafile);
  const nodeLicense = referApache(readFileSync(args['node-license'], 'utf8'));
  const node = nodeComponents(nodeLicense);
  const list = (items: Component[]) => items.map((c) => ` - ${c.name}${c.version ? ` ${c.version}` : ''}: ${c.license}`).join('\n');
  const licenses = [...new Set(['Expat', ...packages.map((p) => p.license)])];
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: bondd
Comment: usr/lib/bondd/bondd is one executable: the Node.js ${process.version} runtime with
 bondd's bundled JavaScript and a V8 code cache injected into it (a Node.js single executable
 application). Components in it:
 .
 bondd itself: Expat
 .
 npm packages bundled into its JavaScript:
${list(packages)}
 .
 Node.js ${process.version}: Expat, with these libraries built in:
${list(node)}
 .
 The full Node.js licence, with the notice of every library above, is the
 "Node.js" licence below.

Files: *
Copyright: bondd authors
License: Expat

Files: usr/lib/bondd/bondd
Copyright: bondd authors; Node.js contributors and the authors of the libraries listed above;
 the authors of the npm packages listed above
License: ${licenses.join(' and ')} and Node.js

${licenses.map((l) => `License: ${l}\n${indent(licenseText(l, packages))}`).join('\n\n')}

License: Node.js
${indent(nodeLicense)}
`;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  writeManPages(args);
  const doc = join(args.stage, 'usr/share/doc/bondd');
  mkdirSync(doc, { recursive: true });
  writeFileSync(join(doc, 'copyright'), copyright(args), { mode: 0o644 });
  process.stdout.write(`package-files: man pages and copyright written (${readdirSync(join(args.stage, 'usr/share/man/man8')).join(', ')})\n`);
}

main();
