// The per-series sequence that tells a live subscriber it missed a committed batch.
import { describe, expect, it } from 'vitest';
import { SeriesSequence } from '../../src/modules/live/series-sequence.js';

describe('SeriesSequence', () => {
  it('has no hole while batches arrive in order from the stored count on', () => {
    const seq = new SeriesSequence();
    seq.settle('loss', 100);
    seq.observe('loss', 10, 110);
    seq.observe('loss', 5, 115);
    expect(seq.holes()).toEqual([]);
  });

  it('shows a hole when a batch in between never arrives, and closes it when it does (out of order across replicas)', () => {
    const seq = new SeriesSequence();
    seq.settle('loss', 0);
    seq.observe('loss', 10, 10);
    seq.observe('loss', 10, 30); // 10..20 is missing
    expect(seq.holes()).toEqual(['loss']);
    seq.observe('loss', 10, 20);
    expect(seq.holes()).toEqual([]);
  });

  it('treats a count-only message (a retry, a comparison with the database) beyond what arrived as a hole', () => {
    const seq = new SeriesSequence();
    seq.settle('acc', 4);
    seq.observe('acc', 0, 4);
    expect(seq.holes()).toEqual([]);
    seq.observe('acc', 0, 9);
    expect(seq.holes()).toEqual(['acc']);
  });

  it('accepts batches committed before the stored count was read (they are already accounted for)', () => {
    const seq = new SeriesSequence();
    seq.observe('loss', 10, 50); // arrived before the baseline read: a hole until settled
    seq.settle('loss', 50);
    expect(seq.holes()).toEqual([]);
    seq.observe('loss', 10, 40); // published before the read, delivered after it
    expect(seq.holes()).toEqual([]);
  });

  it('keeps series apart', () => {
    const seq = new SeriesSequence();
    seq.settle('a', 0);
    seq.settle('b', 0);
    seq.observe('a', 1, 1);
    seq.observe('b', 1, 2);
    expect(seq.holes()).toEqual(['b']);
  });
});
