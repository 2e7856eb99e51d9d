// Project rows a replica has read, by name and id. Projects change (renamed, deleted, restored,
// retagged through MLflow), so the project service forgets a project when it changes one and
// publishes the change, and every replica forgets it when the message arrives (see
// services.ts); when pub/sub may have lost messages, everything is forgotten. A read that
// started before a change never stores its (possibly stale) row: `remember` takes the
// generation seen before the read, and every forget moves the generation on.
import type { Project } from '../../generated/prisma/client.js';

/** More names than this are dropped oldest first; a dropped one is simply read again. */
const MAX_ENTRIES = 10_000;

export class ProjectCache {
  private readonly byName = new Map<string, Project>();
  private readonly byId = new Map<number, Project>();
  private gen = 0;
  private off = false;

  /** Take this before reading the database, and give it to `remember` with what was read. */
  generation(): number {
    return this.gen;
  }

  // Callers get copies: GraphQL brands the objects it resolves (Relay's node type), so a shared
  // row must not be handed out, and must not be frozen either.
  name(name: string): Project | undefined {
    const found = this.byName.get(name);
    return found && { ...found };
  }

  id(id: number): Project | undefined {
    const found = this.byId.get(id);
    return found && { ...found };
  }

  remember<P extends Project | null>(project: P, readAt: number): P {
    if (!project || this.off || readAt !== this.gen || this.byId.has(project.id)) return project;
    if (this.byName.size >= MAX_ENTRIES) {
      const [oldest] = this.byName.values();
      this.byName.delete(oldest!.name);
      this.byId.delete(oldest!.id);
    }
    const kept = { ...project };
    this.byName.set(kept.name, kept);
    this.byId.set(kept.id, kept);
    return project;
  }

  /** Drops one project (it changed here or on another replica). */
  forget(id: number): void {
    this.gen += 1;
    const found = this.byId.get(id);
    this.byId.delete(id);
    if (found) this.byName.delete(found.name);
  }

  /** Stops caching for good (changes from other replicas cannot be heard). */
  disable(): void {
    this.off = true;
    this.clear();
  }

  /** Drops everything (change messages may have been lost). */
  clear(): void {
    this.gen += 1;
    this.byId.clear();
    this.byName.clear();
  }
}
