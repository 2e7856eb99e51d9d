// Projects never change once created (no rename, no delete: nothing in runledger updates the
// projects table), so every replica may keep the rows it has read. Only found projects are
// kept: a name looked up before its project exists is asked again next time.
import type { Project } from '../../generated/prisma/client.js';

/** More names than this are dropped oldest first; a dropped one is simply read again. */
const MAX_ENTRIES = 10_000;

export class ProjectCache {
  private readonly byName = new Map<string, Project>();
  private readonly byId = new Map<number, Project>();

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

  remember<P extends Project | null>(project: P): P {
    if (!project || this.byName.has(project.name)) return project;
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
}
