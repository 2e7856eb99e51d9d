// Projects never change once created (no rename, no delete: nothing in runledger updates the
// projects table), so every replica may keep the rows it has read. Only found projects are
// kept: a name looked up before its project exists is asked again next time.
import type { Project } from '../../generated/prisma/client.js';

/** More names than this are dropped oldest first; a dropped one is simply read again. */
const MAX_ENTRIES = 10_000;

export class ProjectCache {
  private readonly byName = new Map<string, Project>();
  private readonly byId = new Map<number, Project>();

  name(name: string): Project | undefined {
    return this.byName.get(name);
  }

  id(id: number): Project | undefined {
    return this.byId.get(id);
  }

  remember<P extends Project | null>(project: P): P {
    if (!project || this.byName.has(project.name)) return project;
    if (this.byName.size >= MAX_ENTRIES) {
      const [oldest] = this.byName.values();
      this.byName.delete(oldest!.name);
      this.byId.delete(oldest!.id);
    }
    Object.freeze(project);
    this.byName.set(project.name, project);
    this.byId.set(project.id, project);
    return project;
  }
}
