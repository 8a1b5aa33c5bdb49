// `npm run bench -- NAME…` runs the named benchmarks (all when none is named). Each one
// measures kiln against a reference tool in the same run and prints ratios.
import { benchAssemble } from './assemble.ts';
import { benchRegistry } from './registry.ts';
import { benchEvidence } from './evidence.ts';
import { benchBuild } from './build.ts';
import { benchCycle } from './cycle.ts';

const benchmarks: Record<string, () => Promise<void>> = {
  registry: benchRegistry,
  assemble: benchAssemble,
  evidence: benchEvidence,
  build: benchBuild,
  cycle: benchCycle,
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !(n in benchmarks));
if (unknown.length) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}\n`);
  process.exit(2);
}
for (const name of names.length ? names : Object.keys(benchmarks)) {
  process.stdout.write(`== bench ${name}\n`);
  await benchmarks[name]?.();
}
