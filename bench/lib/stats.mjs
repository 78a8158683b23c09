// The statistics the bench's tools share.

/** The median of numbers: the middle one, or the mean of the two in the middle. */
export function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
