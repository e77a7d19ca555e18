/**
 * One CPU profile across the workers, for a viewer that opens one file: under its root, a
 * node per worker (`(worker w1)`) holds that worker's tree, and the samples of all the workers
 * are laid on one timeline, each worker's counted from its own start (their clocks need not
 * agree). Node ids are renumbered 1..n in order, as VS Code's viewer expects, and a frame
 * that several workers ran is one location, so the viewer's table adds up its time on all.
 */
import type { CpuProfile, ProfileLocation, ProfileNode } from '../../protocol/messages/profile-messages';

/** Merges `profiles` (by worker id) into one `.cpuprofile`. */
export function mergeProfiles(profiles: Readonly<Record<string, CpuProfile>>): CpuProfile {
  const root: ProfileNode = { id: 1, callFrame: frame('(root)'), hitCount: 0, children: [] };
  const nodes: ProfileNode[] = [root];
  const locations: ProfileLocation[] = [];
  const byFrame = new Map<string, number>();
  /** One location per frame across the workers, so the viewer adds up a function's time on all. */
  const place = (l: ProfileLocation): number => {
    const f = l.callFrame;
    const key = `${f.functionName}\0${f.url}\0${f.lineNumber}\0${f.columnNumber}`;
    let id = byFrame.get(key);
    if (id === undefined) byFrame.set(key, (id = locations.push(l) - 1));
    return id;
  };
  root.locationId = place({ callFrame: root.callFrame, locations: [] });
  const timed: { at: number; node: number }[] = [];
  let duration = 0;
  for (const [worker, profile] of Object.entries(profiles)) {
    const top: ProfileNode = {
      id: nodes.length + 1,
      callFrame: frame(`(worker ${worker})`),
      hitCount: 0,
      children: [],
    };
    top.locationId = place({ callFrame: top.callFrame, locations: [] });
    nodes.push(top);
    root.children!.push(top.id);
    const newId = new Map<number, number>();
    const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
    const theirRoot = profile.nodes.find((n) => !children.has(n.id));
    // Ids first, so that children can be renumbered whatever order the nodes come in.
    let next = nodes.length + 1;
    for (const n of profile.nodes) newId.set(n.id, n === theirRoot ? top.id : next++);
    const theirLocations = (profile.$vscode?.locations ?? []).map(place);
    for (const n of profile.nodes) {
      const kids = (n.children ?? []).map((c) => newId.get(c)!);
      if (n === theirRoot) {
        top.children = kids;
        continue;
      }
      const copy: ProfileNode = { ...n, id: newId.get(n.id)!, children: kids };
      copy.locationId =
        n.locationId !== undefined && n.locationId < theirLocations.length
          ? theirLocations[n.locationId]
          : place({ callFrame: n.callFrame, locations: [] });
      nodes.push(copy);
    }
    let at = 0;
    const samples = profile.samples ?? [];
    samples.forEach((s, i) => {
      at += profile.timeDeltas?.[i] ?? 0;
      timed.push({ at, node: newId.get(s) ?? top.id });
    });
    duration = Math.max(duration, profile.endTime - profile.startTime, at);
  }
  nodes.sort((a, b) => a.id - b.id);
  timed.sort((a, b) => a.at - b.at);
  const timeDeltas = timed.map((t, i) => t.at - (i ? timed[i - 1].at : 0));
  return {
    nodes,
    startTime: 0,
    endTime: duration,
    samples: timed.map((t) => t.node),
    timeDeltas,
    $vscode: { locations },
  };
}

function frame(functionName: string): ProfileNode['callFrame'] {
  return { functionName, scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 };
}
