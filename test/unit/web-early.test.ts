// The runs page's first requests as its URL decides them: the early entry (web/src/early.ts)
// sends them before the app has loaded, and the page's answer is taken only when the page asks
// with the very same variables, so both build them here.
import { describe, expect, it } from 'vitest';
import { countVariables, FIRST_PAGE, firstPageVariables, MAX_CHART_RUNS, orderOf, runsPageVariables } from '../../web/src/pages/runs-first.js';

describe('runsPageVariables', () => {
  it('gives the table its first screen of rows, the count and the keys, as the page asks for them', () => {
    const got = runsPageVariables('/projects/vision%20team/runs', '?filter=metrics.loss%20%3C%201&sort=metrics.loss:ASC');
    expect(got).toEqual({
      rows: firstPageVariables({ project: 'vision team', filter: 'metrics.loss < 1', orderBy: orderOf('metrics.loss:ASC'), first: FIRST_PAGE, deleted: false }),
      count: countVariables({ project: 'vision team', filter: 'metrics.loss < 1', deleted: false }),
      keys: { project: 'vision team' },
    });
    // Key for key, in the order the page's JSON has them (the early answer is found by its text).
    expect(JSON.stringify(got!.rows)).toBe(
      '{"project":"vision team","filter":"metrics.loss < 1","orderBy":[{"field":"metrics.loss","direction":"ASC"}],"first":40,"after":null,"view":"ACTIVE_ONLY"}',
    );
  });

  it('gives the chart view its runs in one page, and the deleted view its own rows', () => {
    expect(runsPageVariables('/projects/p/runs', '?view=charts')!.rows.first).toBe(MAX_CHART_RUNS);
    expect(runsPageVariables('/projects/p', '?deleted=1')!.rows).toMatchObject({ project: 'p', filter: null, orderBy: null, view: 'DELETED_ONLY' });
  });

  it('sends nothing for other pages', () => {
    expect(runsPageVariables('/', '')).toBeNull();
    expect(runsPageVariables('/runs/UnVuOjE=', '')).toBeNull();
    expect(runsPageVariables('/projects/p/settings', '')).toBeNull();
  });
});
