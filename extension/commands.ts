/**
 * Every command id and context key of the extension, typed in one place (as vscode-js-debug
 * does), so that other parts, such as the debugger panel, refer to them without strings.
 */
export const Commands = {
  StartMaster: 'crew.startMaster',
  ConnectToMaster: 'crew.connectToMaster',
  StopMaster: 'crew.stopMaster',
  ConnectWorkers: 'crew.connectWorkers',
  DisconnectWorkers: 'crew.disconnectWorkers',
  EvaluateOnMaster: 'crew.evaluateOnMaster',
  EvaluateOnAllWorkers: 'crew.evaluateOnAllWorkers',
  EvaluateFileOnAllWorkers: 'crew.evaluateFileOnAllWorkers',
  Interrupt: 'crew.interrupt',
  InterruptWorker: 'crew.interruptWorker',
  ShowAuditTrail: 'crew.showAuditTrail',
  OpenRepl: 'crew.openRepl',
  ShowWorkers: 'crew.showWorkers',
  ClearResults: 'crew.clearResults',
  ShowDebugger: 'crew.showDebugger',
  NewNotebook: 'crew.newNotebook',
  ShowCluster: 'crew.showCluster',
  DebugWorkers: 'crew.debugWorkers',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** Context keys for `when` and `enablement` clauses in package.json. */
export const ContextKeys = {
  /** `stopped`, `starting` or `running`. */
  State: 'crew.state',
  /** A pool of workers is running on the master. */
  HasPool: 'crew.hasPool',
  HasInlineResults: 'crew.hasInlineResults',
} as const;

/** View ids. */
export const Views = {
  Workers: 'crewWorkers',
} as const;
