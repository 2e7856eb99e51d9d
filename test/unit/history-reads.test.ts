// The pure parts of a history read: which rollup level a downsample reads, and how a list
// column PostgreSQL sends is read back into numbers.
import { describe, expect, it } from 'vitest';
import { numbers } from '../../src/modules/metrics/history-batch-store.js';
import { finerLevel } from '../../src/modules/metrics/history.js';

describe('finerLevel', () => {
  it('reads the level below, merged, when that fills more of the budget', () => {
    // 200,000 steps in 1,080 buckets: level 4 (256 steps) fits with 782; level 3 merged by 3 gives 1,042.
    expect(finerLevel(4, 0, 199_999, 1080)).toEqual({ readLevel: 3, merge: 3 });
    expect(finerLevel(2, 0, 999, 100)).toEqual({ readLevel: 2, merge: 1 });
  });

  it('reads the level itself where four merged buckets of the level below would be its buckets', () => {
    // 10,000 steps in 200 buckets (a panel grid): level 3 fits with 157; level 2 would need 625 rows merged by 4.
    expect(finerLevel(3, 0, 9_999, 200)).toEqual({ readLevel: 3, merge: 1 });
    // 1,000,000 steps in 1,080 buckets: level 5 (977 rows), not level 4 (3,907 rows) merged by 4.
    expect(finerLevel(5, 0, 999_999, 1080)).toEqual({ readLevel: 5, merge: 1 });
  });
});

describe('numbers', () => {
  it('reads integers, decimals, exponents and NULL', () => {
    expect(numbers('0,-3,1.5,2e-05,-1.25e+20,null,7')).toEqual([0, -3, 1.5, 2e-5, -1.25e20, null, 7]);
    expect(numbers(null)).toEqual([]);
    expect(numbers('')).toEqual([]);
  });

  it('reads NaN and the infinities, which JSON has not', () => {
    expect(numbers('1,NaN,Infinity,-Infinity,null')).toEqual([1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null]);
  });
});
