import type { Command } from 'commander';
import { getAnswer } from '../../plugin/providers/answers.js';
import { getHandshake } from '../../plugin/providers/handshakes/index.js';
import { PRESETS } from '../../plugin/providers/presets.js';
import { leafCommand, type CommandContext } from './context.js';

/** What `presets` prints per preset: the data an admin needs before `partner add --preset`. */
function describe() {
  return [...PRESETS.values()].map((p) => ({
    name: p.name,
    version: p.version,
    provider: p.provider,
    secret: p.secretIs,
    signature: p.signature,
    body: p.spec?.body ?? (p.contentTypes.some((t) => t.includes('xml')) ? 'xml' : 'json'),
    idType: p.idType,
    tolerance: p.tolerance,
    handshake: p.handshake ? `${p.handshake}: ${getHandshake(p.handshake).summary}` : null,
    answer: p.answer ? getAnswer(p.answer).summary : 'the JSON of the HTTP API (202 accepted, 200 duplicate)',
    requires: [...p.requires.map((r) => (r === 'publicUrl' ? '--public-url' : `--setting ${r}=…`)), ...(p.requiresAllowIps ? ['--allow-ip'] : [])],
    caveats: p.caveats,
    source: p.source,
  }));
}

/** `presets`: no database needed, the list is part of the code. */
export function registerPresetsCommand(program: Command, ctx: CommandContext): void {
  leafCommand(program, 'presets', 'list the provider presets for partner add --preset').action((options: { json?: boolean }) => {
    ctx.output(options).result(describe(), (list) =>
      list
        .map((p) =>
          [
            `${p.name} (v${p.version}): ${p.provider}`,
            `  secret:    ${p.secret}`,
            `  signature: ${p.signature}`,
            `  body:      ${p.body}; ${p.idType}`,
            `  tolerance: ${p.tolerance}; handshake: ${p.handshake ?? 'none'}`,
            `  answers:   ${p.answer}`,
            ...(p.requires.length ? [`  requires:  ${p.requires.join(', ')}`] : []),
            ...(p.caveats ? [`  caveats:   ${p.caveats}`] : []),
          ].join('\n'),
        )
        .join('\n\n'),
    );
  });
}
