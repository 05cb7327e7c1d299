/** `ekm-edge decode`: check and decode one meter reply given as hex. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CodecError, decodeFrame, type FrameKind } from '../../codec';
import { address } from '../options';
import { fail } from '../runtime';

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('Check and decode one 255-byte meter reply given as hex')
    .requiredOption('--hex <hex>', 'the whole reply, 510 hex digits')
    .addOption(new Option('--kind <kind>', 'block type (detected when absent)').choices(['v3', 'v4a', 'v4b']))
    .option('--address <address>', 'the address that was requested; a reply from another meter is rejected', address)
    .option('--scale <n>', 'kWh_Scale digit of the preceding A block (needed for a B block)', (v) => {
      if (!/^\d$/.test(v)) throw new InvalidArgumentError(`expected one digit 0-9, got ${JSON.stringify(v)}`);
      return Number(v);
    })
    .option('--json', 'print one JSON object keyed by EKM field names')
    .action((opts: { hex: string; kind?: FrameKind; address?: string; scale?: number; json?: boolean }) => {
      const hex = opts.hex.replace(/\s+/g, '');
      const notHex = /[^0-9a-fA-F]/.exec(hex);
      if (notHex)
        fail(
          `--hex: ${JSON.stringify(notHex[0])} at position ${notHex.index + 1} is not a hex digit (0-9, a-f); pass the frame as hex, e.g. 021024…`,
        );
      if (hex.length % 2 !== 0)
        fail(`--hex: not an even number of hex digits (${hex.length} digits); pass the frame as hex, e.g. 021024…`);
      try {
        const block = decodeFrame(Buffer.from(hex, 'hex'), {
          ...(opts.kind ? { kind: opts.kind } : {}),
          ...(opts.address ? { address: opts.address } : {}),
          ...(opts.scale !== undefined ? { scale: opts.scale } : {}),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(block.fields)}\n`);
        else {
          process.stdout.write(`${block.kind} block from meter ${block.address}\n`);
          for (const [name, value] of Object.entries(block.fields))
            process.stdout.write(`  ${name.padEnd(24)} ${JSON.stringify(value)}\n`);
        }
      } catch (error) {
        if (error instanceof CodecError) fail(`frame rejected [${error.code}]: ${error.message}`);
        throw error;
      }
    });
}
