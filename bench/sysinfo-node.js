// Times the systeminformation calls Harper makes for system_information (p50 over N calls
// each, sequential, in one process) and compares them with our collectors' p50s, passed in
// $SYSINFO_OURS as "section=p50_us,...". Run by bench/sysinfo-node.sh.
// Note: si caches some answers between calls (processes for 500 ms, currentLoad for 200 ms,
// networkInterfaces while unchanged), which favours it in a tight loop.
'use strict';
const si = require('systeminformation');

const N = parseInt(process.argv[2] || '50', 10);
const groups = {
  system: () => si.osInfo(),   // Harper caches it after the first call; versions() spawns npm
  time: () => Promise.resolve(si.time()),
  cpu: () => Promise.all([si.cpu(), si.cpuCurrentSpeed(), si.currentLoad()]),
  memory: () => si.mem(),
  disk: () => Promise.all([si.disksIO(), si.fsStats(), si.fsSize()]),
  network: () => Promise.all([si.networkInterfaceDefault(), si.networkInterfaces(), si.networkStats()]),
  harperdb_processes: () => si.processes(),   // cached by si for 500 ms: mostly a cache hit here
};
groups.full = () => Promise.all(Object.keys(groups).filter((k) => k !== 'full').map((k) => groups[k]()));

const ours = {};
for (const kv of (process.env.SYSINFO_OURS || '').split(',')) {
  const [k, v] = kv.split('=');
  if (k && v) ours[k] = parseFloat(v);
}

(async () => {
  console.log(`systeminformation ${require('systeminformation/package.json').version}, node ${process.version}, ${N} calls each`);
  console.log(`${'section'.padEnd(20)} ${'si_p50_us'.padStart(12)} ${'ours_p50_us'.padStart(12)} ${'si/ours'.padStart(9)}`);
  for (const name of ['full', 'system', 'time', 'cpu', 'memory', 'disk', 'network', 'harperdb_processes']) {
    await groups[name]();   // warm-up: first calls read static data
    const t = [];
    for (let i = 0; i < N; i++) {
      const start = process.hrtime.bigint();
      await groups[name]();
      t.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    t.sort((a, b) => a - b);
    const p50 = t[Math.floor(N / 2)];
    const o = ours[name];
    console.log(`${name.padEnd(20)} ${p50.toFixed(1).padStart(12)} ${(o ? o.toFixed(1) : '-').padStart(12)} ${(o ? (p50 / o).toFixed(1) + 'x' : '-').padStart(9)}`);
  }
})();
