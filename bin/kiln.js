#!/usr/bin/env node
// The installed `kiln` command. kiln's sources are TypeScript that Node 24 runs
// directly; an older Node would fail with a confusing syntax error, so say why.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `kiln needs Node 24 or newer; this is Node ${process.versions.node}.\n` +
      "Run it through npm (npx kiln …), which uses the Node 24 from the project's node_modules.",
  );
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
