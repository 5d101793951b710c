import { Fn } from 'cdktf';

/**
 * A `*_wo_revision` number that changes whenever any of `parts` changes: the first 48 bits of
 * their sha256, plus one (a revision of 0 means "no write-only data" to the kubernetes provider).
 * Parts may be unknown until apply (a uid of an object being created): the revision is then
 * unknown too and the write-only value is sent.
 */
export function writeOnlyRevision(parts: (string | number)[]): number {
  return Fn.sum([Fn.parseint(Fn.substr(Fn.sha256(Fn.join('|', parts.map((p) => `${p}`))), 0, 12), 16), 1]);
}
