//! Round-trip times in log-linear buckets: percentiles without keeping every
//! sample.

use std::time::Duration;

/// Bits of a value kept exactly within each power of two: 128 buckets per
/// octave, so a bucket is less than 1% (1/128) wide relative to its values.
const SUB_BITS: u32 = 7;

/// Values below this are kept exactly, one bucket each.
const EXACT: u64 = 1 << SUB_BITS;

/// Bucket count covering every `u64`.
const BUCKETS: usize = ((64 - SUB_BITS) as usize + 1) << SUB_BITS;

/// A histogram of durations in nanoseconds, like HdrHistogram with 2
/// significant digits: a load test records millions of round trips and needs
/// only their percentiles, so it keeps counts per bucket (about 60 KiB),
/// not samples.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

/// The bucket of `v`: exact below [`EXACT`]; above, the power of two and the
/// top `SUB_BITS + 1` bits of `v`. Contiguous: bucket `EXACT` follows
/// bucket `EXACT - 1`.
fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // >= SUB_BITS
    let shift = exp - SUB_BITS;
    let mantissa = v >> shift; // in [EXACT, 2 * EXACT)
    ((shift as usize) << SUB_BITS) + mantissa as usize
}

/// The largest value that falls in bucket `i`.
fn highest(i: usize) -> u64 {
    if i < (2 * EXACT) as usize {
        return i as u64;
    }
    let shift = (i >> SUB_BITS) as u32 - 1;
    let mantissa = (i as u64 & (EXACT - 1)) | EXACT;
    // The last bucket's upper end is u64::MAX.
    (((mantissa + 1) as u128) << shift)
        .saturating_sub(1)
        .min(u64::MAX as u128) as u64
}

impl Histogram {
    /// Counts one round trip.
    pub(crate) fn record(&mut self, d: Duration) {
        let v = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[index(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
    }

    /// Adds another histogram's counts to this one.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// How many round trips were recorded.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.total
    }

    /// The longest round trip, exactly.
    pub(crate) fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }

    /// The `q` quantile (0 < q <= 1): the smallest bucket holding at least
    /// that share of the round trips, given by its largest value (so never
    /// an understatement by more than the bucket width, under 1%), capped
    /// at the maximum. Monotonic in `q`, so p50 <= p99 <= max always holds.
    /// Zero when nothing was recorded.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_nanos(highest(i).min(self.max));
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bound_their_values() {
        let mut last = None;
        for v in (0..5000u64).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
            let i = index(v);
            assert!(i < BUCKETS, "{v} -> {i}");
            assert!(highest(i) >= v, "{v} -> bucket {i} up to {}", highest(i));
            if i > 0 {
                assert!(highest(i - 1) < v, "{v} also fits bucket {}", i - 1);
            }
            if let Some((lv, li)) = last
                && v == lv + 1
            {
                assert!(i == li || i == li + 1, "{lv} -> {li}, {v} -> {i}");
            }
            last = Some((v, i));
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
        assert_eq!(highest(BUCKETS - 1), u64::MAX);
    }

    #[test]
    fn bucket_width_is_under_one_percent() {
        for v in [1000u64, 123_456, 9_999_999, 1 << 40] {
            let i = index(v);
            let low = highest(i - 1) + 1;
            let width = highest(i) - low + 1;
            assert!(width as f64 <= v as f64 / 128.0, "{v}: width {width}");
        }
    }

    /// Checks against the naive definition: sort, take the ceil(q*n)-th.
    #[test]
    fn quantiles_match_a_sorted_list_within_a_bucket() {
        // A skewed spread: many fast, a few slow.
        let mut samples: Vec<u64> = (0..10_000u64)
            .map(|i| 20_000 + (i * 7919) % 50_000 + if i % 97 == 0 { 3_000_000 } else { 0 })
            .collect();
        let mut h = Histogram::default();
        for &s in &samples {
            h.record(Duration::from_nanos(s));
        }
        samples.sort_unstable();
        assert_eq!(h.len(), 10_000);
        assert_eq!(h.max(), Duration::from_nanos(*samples.last().unwrap()));
        for q in [0.01, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let rank = (q * samples.len() as f64).ceil() as usize;
            let exact = samples[rank - 1];
            let got = h.quantile(q).as_nanos() as u64;
            assert!(
                got >= exact && got as f64 <= exact as f64 * (1.0 + 1.0 / 128.0),
                "q {q}: exact {exact}, got {got}"
            );
        }
        assert!(h.quantile(0.5) <= h.quantile(0.99));
        assert!(h.quantile(0.99) <= h.max());
    }

    #[test]
    fn merge_adds_counts_and_keeps_the_max() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        a.record(Duration::from_micros(10));
        b.record(Duration::from_micros(30));
        b.record(Duration::from_micros(20));
        a.merge(&b);
        assert_eq!(a.len(), 3);
        assert_eq!(a.max(), Duration::from_micros(30));
        let p50 = a.quantile(0.5).as_nanos();
        assert!((20_000..=20_200).contains(&p50), "{p50}");
        assert_eq!(Histogram::default().quantile(0.99), Duration::ZERO);
    }
}
