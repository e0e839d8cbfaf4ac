/**
 * Shell completion. yargs answers `bondctl --get-yargs-completions <words...>` with candidates
 * (commands, flags); the scripts printed by `bondctl completion bash|zsh` ask it on every TAB.
 * On top of yargs' defaults: bond names where a bond goes, and option names (with "=") and enum
 * values after `set`/`create`, all from the option table.
 */
import { readFile, readdir } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { BOND_OPTIONS, SLAVE_OPTIONS, findOption, findSlaveOption } from '../../bond/options.js';
import { UsageError } from '../exit-codes.js';
import type { Args, Context, Runner } from './common.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** The hidden command yargs reserves for its own completion handling. */
export const YARGS_COMPLETION_COMMAND = '__yargs-completion';

export function completionScript(shell: Shell, program = 'bondctl'): string {
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  if (shell === 'bash') {
    return `# bash completion for ${program}; install: ${program} completion bash > /etc/bash_completion.d/${program}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  local -a words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
  COMPREPLY=($(compgen -W "$(${program} --get-yargs-completions "\${words[@]}" 2>/dev/null)" -- "$cur"))
  # option=... candidates continue the word: no space after them
  [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -o default -F ${fn} ${program}
`;
  }
  return `#compdef ${program}
# zsh completion for ${program}; install: ${program} completion zsh > "\${fpath[1]}/_${program}"
${fn}() {
  local -a reply
  local IFS=$'\\n'
  reply=($(SHELL=zsh COMP_CWORD="$((CURRENT-1))" ${program} --get-yargs-completions "\${words[@]:0:$CURRENT}" 2>/dev/null))
  if (( \${#reply} )); then
    _describe 'values' reply -S ''
  else
    _default
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${program}
fi
`;
}

async function bondNames(): Promise<string[]> {
  try {
    return (await readFile('/sys/class/net/bonding_masters', 'utf8')).split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

async function interfaceNames(): Promise<string[]> {
  try {
    return (await readdir('/sys/class/net')).filter((name) => name !== 'bonding_masters' && name !== 'lo');
  } catch {
    return [];
  }
}

const BOND_FIRST = new Set(['create', 'delete', 'up', 'down', 'enslave', 'release', 'set', 'show', 'status', 'failover']);

/**
 * Candidates for the word being completed, or undefined to let yargs complete (commands, flags).
 * `positionals` are the positional words before the current one (command first, flags and their
 * values left out); `slave` tells that --slave was given.
 */
export async function complete(positionals: readonly string[], current: string, flags: { slave?: boolean } = {}): Promise<string[] | undefined> {
  if (current.startsWith('-')) return undefined;
  const [command, ...rest] = positionals;
  if (!command || !BOND_FIRST.has(command)) return undefined;
  if (rest.length === 0) return command === 'create' ? [] : bondNames();
  if (command === 'enslave' || command === 'release') return interfaceNames();
  if (command !== 'set' && command !== 'create') return undefined;
  const slaveScope = command === 'set' && flags.slave === true;
  const eq = current.indexOf('=');
  if (eq > 0) {
    const name = current.slice(0, eq);
    const option = slaveScope ? findSlaveOption(name) : findOption(name);
    return (option?.values ?? []).map((v) => `${name}=${v.name}`);
  }
  return (slaveScope ? SLAVE_OPTIONS : BOND_OPTIONS).map((o) => `${o.name}=`);
}

export async function completion(a: Args, ctx: Context): Promise<void> {
  let shell = a['shell'] as string | undefined;
  if (shell === undefined) shell = /zsh/.test(process.env['SHELL'] ?? '') ? 'zsh' : 'bash';
  if (!SHELLS.includes(shell as Shell)) throw new UsageError(`shell: "${shell}" is not bash or zsh`);
  ctx.out(completionScript(shell as Shell));
}

export function register(y: Argv, run: Runner): Argv {
  return y
    .command(
      'completion [shell]',
      'print a shell completion script (bash or zsh; default from $SHELL)',
      (b) => b.positional('shell', { type: 'string', choices: SHELLS as unknown as string[] }).example('source <($0 completion bash)', ''),
      run(completion),
    )
    .completion(
      YARGS_COMPLETION_COMMAND,
      false,
      (
        current: string,
        argv: { _: Array<string | number>; slave?: unknown },
        fallback: (cb: (err: Error | null, c: string[] | undefined) => void) => void,
        done: (c: string[]) => void,
      ) => {
        // argv._ holds the program name first when yargs parses a completion request.
        const words = argv._.map(String).slice(1);
        if (words[words.length - 1] === current) words.pop();
        void complete(words, current, { slave: argv.slave !== undefined }).then(
          (list) => (list ? done(list) : fallback((_err, c) => done(c ?? []))),
          () => done([]),
        );
      },
    );
}
