/**
 * What every result file of the bench, the reconnect storm and the soak starts
 * its `meta` with: when it ran, for how long, the exact command and Node.
 */
export function runMeta(script, startedAt) {
  return {
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    command: `node ${script} ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
  };
}

/** Ends a storm or soak run: client processes closed, the server stopped (killed if it will not), the scratch database dropped. */
export async function stopRun(clients, server, database) {
  await Promise.all(clients.map((c) => c.request('close').catch(() => {})));
  for (const c of clients) c.process.disconnect();
  await server.request('stop', {}, 30_000).catch(() => server.process.kill('SIGKILL'));
  await database?.drop().catch(() => {});
}
