// Knative's living ConditionSet (knative.dev/pkg/apis/condition_set.go) as KServe's
// InferenceServiceStatus uses it: a happy condition `Ready` that follows its dependents
// (PredictorReady, IngressReady); other conditions carry severity Info. Conditions stay sorted by
// type; lastTransitionTime changes whenever anything else in the condition does.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  severity?: 'Info' | 'Warning';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export class ConditionSet {
  readonly conditions: Condition[];
  private readonly happy: string;
  private readonly dependents: string[];
  private readonly now: () => string;

  constructor(existing: Condition[] | undefined, dependents: string[], now: () => string, happy = 'Ready') {
    this.conditions = structuredClone(existing ?? []);
    this.happy = happy;
    this.dependents = dependents;
    this.now = now;
  }

  get(type: string): Condition | undefined {
    return this.conditions.find((c) => c.type === type);
  }

  isTrue(type: string): boolean {
    return this.get(type)?.status === 'True';
  }

  /** InitializeConditions: the happy condition and its dependents start Unknown. */
  initialize(): void {
    for (const t of [this.happy, ...this.dependents]) if (!this.get(t)) this.set({ type: t, status: 'Unknown' });
  }

  /** KServe's InferenceServiceStatus.SetCondition: dispatches on the status, clears on undefined. */
  apply(type: string, from: { status: ConditionStatus; reason?: string; message?: string } | undefined): void {
    if (!from) {
      this.clear(type);
      return;
    }
    if (from.status === 'True') this.markTrue(type, from.reason, from.message);
    else if (from.status === 'False') this.markFalse(type, from.reason, from.message);
    else this.markUnknown(type, from.reason, from.message);
  }

  markTrue(type: string, reason?: string, message?: string): void {
    this.set({ type, status: 'True', reason, message });
    if (this.dependents.every((d) => this.isTrue(d))) this.set({ type: this.happy, status: 'True' });
  }

  markFalse(type: string, reason?: string, message?: string): void {
    this.set({ type, status: 'False', reason, message });
    if (this.dependents.includes(type)) this.set({ type: this.happy, status: 'False', reason, message });
  }

  markUnknown(type: string, reason?: string, message?: string): void {
    this.set({ type, status: 'Unknown', reason, message });
    // A False dependent wins over Unknown.
    for (const d of this.dependents) {
      if (this.get(d)?.status === 'False') {
        if (this.get(this.happy)?.status !== 'False') {
          this.set({ type: this.happy, status: 'False', reason, message });
        }
        return;
      }
    }
    if (this.dependents.includes(type)) this.set({ type: this.happy, status: 'Unknown', reason, message });
  }

  clear(type: string): void {
    const i = this.conditions.findIndex((c) => c.type === type);
    if (i >= 0) this.conditions.splice(i, 1);
  }

  private set(c: Condition): void {
    const severity = c.type === this.happy || this.dependents.includes(c.type) ? undefined : 'Info';
    const next: Condition = {
      type: c.type,
      status: c.status,
      ...(severity ? { severity } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    };
    const i = this.conditions.findIndex((x) => x.type === c.type);
    const old = i >= 0 ? this.conditions[i] : undefined;
    if (old && old.status === next.status && old.reason === next.reason && old.message === next.message && old.severity === next.severity) return;
    const ordered: Condition = { lastTransitionTime: this.now(), ...next };
    if (i >= 0) this.conditions[i] = ordered;
    else this.conditions.push(ordered);
    this.conditions.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }
}
