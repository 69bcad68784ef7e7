// The layers of the wall between users in force, as the start log and /readyz name them:
// `inputs: flag-policy, fs: permission-model, uid: per-call, limits: on`, and why a layer is off.
import type { ChildIsolation, IsolationLayer } from './spawner.ts';

export type ReportedLayer = 'inputs' | IsolationLayer;

export interface IsolationReport {
  /** layer 1, from the tool catalogue: `flag-policy` when no input names a local file or program */
  inputs: string;
  fs: ChildIsolation['fs'];
  uid: ChildIsolation['uid'];
  limits: ChildIsolation['limits'];
  /** the private root of the call directories (layer 5) */
  callRoot: string;
  /** why a layer is off */
  reasons: Partial<Record<ReportedLayer, string>>;
}

/** Production refuses to start without these (unless CLI_ALLOW_UNISOLATED=true). */
const REQUIRED_IN_PRODUCTION: ReportedLayer[] = ['inputs', 'fs', 'limits'];

export function isolationReport(inputs: string | undefined, children: ChildIsolation, callRoot: string): IsolationReport {
  const reasons: IsolationReport['reasons'] = { ...children.reasons };
  if (!inputs) reasons.inputs = 'the tool catalogue has no flag policy: inputs naming local files or programs are offered';
  return { inputs: inputs ?? 'unrestricted', fs: children.fs, uid: children.uid, limits: children.limits, callRoot, reasons };
}

export function isolationSummary(report: IsolationReport): string {
  return `inputs: ${report.inputs}, fs: ${report.fs}, uid: ${report.uid}, limits: ${report.limits}`;
}

/** The required layers that are off, each with its reason. */
export function missingRequiredLayers(report: IsolationReport): string[] {
  const off = (layer: ReportedLayer) =>
    layer === 'inputs' ? report.inputs === 'unrestricted' : layer === 'fs' ? report.fs === 'off' : report.limits === 'off';
  return REQUIRED_IN_PRODUCTION.filter(off).map((layer) => `${layer} (${report.reasons[layer] ?? 'off'})`);
}
