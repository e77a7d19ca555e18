// The rows of the reliability table: each fault or attack, where it is tested, and how.
// `id` matches the `row` a test records; `file` is its test file in test/reliability/.
export const ROWS = [
  {
    id: 'kill-parallelMap',
    file: 'kill',
    fault: 'Worker killed (`kill -9`) mid `parallelMap`',
    how:
      '3 local workers, 90 tasks of 25 ms; ' +
      'the busiest worker is killed after 10 results; ' +
      'results and `resultDone` counted per index',
  },
  {
    id: 'kill-parallelReduce',
    file: 'kill',
    fault: 'Worker killed mid `parallelReduce`',
    how: 'as above, with a non-commutative reducer (string concatenation) compared with a sequential reduce',
  },
  {
    id: 'kill-evalFormRepeatedly',
    file: 'kill',
    fault: 'Worker killed mid `evalFormRepeatedly`',
    how: '90 results of a counter function; every result distinct, exactly 90',
  },
  {
    id: 'kill-evalRepeatedlyAsyncState',
    file: 'kill',
    fault: 'Worker killed mid `evalRepeatedlyAsyncState`',
    how: 'state counts results to 60; `updateState` sees each result once',
  },
  {
    id: 'kill-evalFormAllWorkers',
    file: 'kill',
    fault: 'Worker killed mid `evalFormAllWorkers`',
    how:
      '3 workers run an 800 ms form, one is killed: ' +
      "the call returns the 2 survivors' results (the documented answer)",
  },
  {
    id: 'poison-task',
    file: 'kill',
    fault: 'A task that kills its worker process',
    how:
      '4 local workers; the task calls `process.kill(process.pid, ' +
      '"SIGKILL")`; it is tried alone on each next worker',
  },
  {
    id: 'sigstop',
    file: 'silent',
    fault: 'Silent death: worker frozen (`SIGSTOP`)',
    how: 'heartbeat timeout 1.5 s (`heartbeatTimeoutMs`); map of 150 tasks; then `SIGCONT`',
  },
  {
    id: 'cut-link-proxy',
    file: 'silent',
    fault: 'Silent death: link cut on loopback',
    how: 'a TCP proxy between worker and master drops everything both ways, then lets through again',
  },
  {
    id: 'stall-self',
    file: 'silent',
    fault: 'The master itself stalls (a long synchronous job)',
    how: "heartbeat timeout 1 s; the master's event loop blocked for 2.5 s; its workers must not be blamed",
  },
  {
    id: 'netns-cut',
    file: 'netns',
    fault: "Several hosts: one worker's link cut mid-map",
    how: 'master and 3 workers in 4 network namespaces (veth + bridge); `ip link set … down`, then `up`',
  },
  {
    id: 'eval-exit',
    file: 'eval-thread',
    fault: 'Eval thread ends: `process.exit()` in user code',
    how: 'the worker process and its connection stay; setup forms replayed on the fresh thread',
  },
  {
    id: 'eval-oom',
    file: 'eval-thread',
    fault: 'Eval thread out of memory',
    how: '`--eval-heap-mb 64`, a form that fills the heap',
  },
  {
    id: 'eval-exit-poison',
    file: 'eval-thread',
    fault: 'A map task that ends its eval thread every time',
    how: 'marked bad after 3 thread deaths (`CREW_TASK_KILLED_WORKERS`); no worker lost',
  },
  {
    id: 'master-restart',
    file: 'restart',
    fault: 'Master killed (`kill -9`) and restarted',
    how:
      '2 dial-in worker processes; a new master on the same port; ' +
      'its setup form reaches both before work; ' +
      'after an eval-thread crash only the new setup is replayed',
  },
  {
    id: 'master-redials',
    file: 'restart',
    fault: 'A dialed worker dies and comes back',
    how: 'the worker process is killed mid-map and restarted on its port; the master redials and replays it',
  },
  {
    id: 'auth-wrong-secret',
    file: 'auth',
    fault: 'Wrong secret',
    how: 'a master with another secret dials a worker; a worker with another secret dials a master',
  },
  { id: 'auth-missing-secret', file: 'auth', fault: 'Missing secret', how: 'an `auth` frame without a MAC' },
  {
    id: 'auth-replay',
    file: 'auth',
    fault: 'Replayed handshake transcript',
    how: 'a real handshake recorded by a proxy, replayed to the listener, and (hello + welcome) to a dialing master',
  },
  {
    id: 'auth-stall',
    file: 'auth',
    fault: 'Peer stalls in the handshake',
    how: 'WebSocket opened, hello never answered; `--handshake-timeout 1000`',
  },
  {
    id: 'auth-stall-tcp',
    file: 'auth',
    fault: 'Peer never finishes the HTTP upgrade',
    how: 'silent TCP connection, and a slow-loris upgrade (one byte every 200 ms)',
  },
  {
    id: 'secret-on-wire-proxy',
    file: 'auth',
    fault: 'Secret on the wire (recording proxy)',
    how:
      'sessions in both dialing directions through a recording proxy; ' +
      'raw bytes and unmasked frames searched for 5 encodings of the secret',
  },
  {
    id: 'secret-on-wire-tshark',
    file: 'capture',
    fault: 'Secret on the wire (tshark)',
    how: 'tshark captures loopback; every TCP payload and unmasked WebSocket payload searched',
  },
  {
    id: 'listen-non-loopback',
    file: 'auth',
    fault: 'Listening beyond loopback without a secret',
    how: '`startMaster({ host: "0.0.0.0" })` and `crew worker --host 0.0.0.0` with no secret given',
  },
  {
    id: 'tls-master',
    file: 'tls',
    fault: 'TLS (`wss`), master listening',
    how:
      'self-signed certificate (openssl); ' +
      'local workers and a proxied worker dial `wss`; ' +
      'the proxy sees no cleartext',
  },
  {
    id: 'tls-worker',
    file: 'tls',
    fault: 'TLS (`wss`), worker listening',
    how: 'a master dials with the certificate as CA, without it, and with plain `ws`',
  },
  {
    id: 'netns-tls-master-dials',
    file: 'netns-tls',
    fault: 'Link read on the network, master dialing',
    how: 'two network namespaces; worker `--host 0.0.0.0`, nothing but the secret; tcpdump during an evaluation',
  },
  {
    id: 'netns-tls-worker-dials',
    file: 'netns-tls',
    fault: 'Link read on the network, worker dialing',
    how: 'master `--host 0.0.0.0`, a worker on the other host dials it; tcpdump during an evaluation',
  },
  {
    id: 'netns-tls-lsp',
    file: 'netns-tls-editor',
    fault: 'Editor link read on the network',
    how: "`crew lsp --port --host 0.0.0.0`, the extension's dialMaster on the other host evaluates; tcpdump",
  },
  {
    id: 'netns-tls-cdp',
    file: 'netns-tls-editor',
    fault: 'Debugger link read on the network',
    how: "VS Code's debugger on the other host, through the extension's pinned relay, evaluates on a worker; tcpdump",
  },
  {
    id: 'netns-tls-mitm',
    file: 'netns-tls',
    fault: 'Man in the middle terminating TLS',
    how: 'a relay with its own certificate between master and worker (and between editor and master)',
  },
  {
    id: 'netns-tls-fuzz',
    file: 'netns-tls',
    fault: 'Fuzzed ClientHello, garbage before TLS',
    how: '100 mutated ClientHellos, 100 noise prefixes before a real one, a plain upgrade from another host',
  },
  {
    id: 'limit-preauth-frame',
    file: 'limits',
    fault: 'Oversized frame before authentication',
    how: 'a 100 KiB text frame where the limit is 16 KiB',
  },
  {
    id: 'limit-result-frame',
    file: 'limits',
    fault: 'Result larger than the frame limit',
    how: '`maxFrameBytes` 1 MiB, a 2 MiB result; a 2 MiB argument fails before sending',
  },
  {
    id: 'limit-split-frames',
    file: 'limits',
    fault: 'Batches that would overflow a frame',
    how: '80 tasks of 100 KiB with 300 KiB results under a 1 MiB limit',
  },
  { id: 'limit-queue', file: 'limits', fault: 'Queue past its bound', how: '`maxQueuedTasks` 1000, a map of 5000' },
  {
    id: 'limit-inflight',
    file: 'limits',
    fault: 'Tasks in flight per worker',
    how: 'sampled every 2 ms during a 200,000-task map',
  },
  {
    id: 'fuzz-worker',
    file: 'fuzz-worker',
    fault: "Fuzzing a worker's port",
    how:
      'random, mutated and structure-aware frames before and after ' +
      'authentication (as its master), ' +
      'with a real map and real tasks in between',
  },
  {
    id: 'fuzz-master',
    file: 'fuzz-master',
    fault: "Fuzzing the master's port",
    how: 'the same before and after authentication (as a worker), while 2 real workers run a map',
  },
  {
    id: 'user-not-serializable',
    file: 'eval-thread',
    fault: 'User code: a result that cannot be sent',
    how: 'a function inside a Map inside the result; a symbol; a method in an argument',
  },
  {
    id: 'user-syntax-error',
    file: 'eval-thread',
    fault: 'User code: a form with a syntax error',
    how: 'JavaScript and TypeScript forms',
  },
  {
    id: 'load-1m',
    file: 'load',
    fault: 'Load: 1,000,000 tiny tasks',
    how:
      '`parallelMap` on 2 local workers, in a process of its own; peak RSS, ' +
      'and live heap with a full GC every 500 ms',
  },
  {
    id: 'soak',
    fault: 'Soak: mixed work for 10 minutes',
    how: '`node bench/soak.mjs` by hand, not in CI (see below)',
    manual: { lost: '0', duplicated: '0', result: 'run by hand; see "Soak"' },
  },
];
