//! Deadline arithmetic on China's business calendar (DOMAIN §4): the requirement is at least
//! 2 million `add`s of up to 10 working days per second on one core, and `between` alike.
//!
//! Each iteration is one call on a pre-generated random input, so criterion's `time` is the
//! cost of one operation and `thrpt` is operations per second.

use std::hint::black_box;

use aftersales_domain::Timestamp;
use aftersales_domain::calendar::{Calendar, CalendarSpec, HolidaySet};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::SignedDuration;

/// Inputs per benchmark; a power of two so the index wraps with a mask.
const INPUTS: usize = 1 << 14;

/// SplitMix64: deterministic inputs without a random-number dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (the modulo bias is irrelevant here).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let width = u64::try_from(hi - lo).expect("hi > lo");
        lo + i64::try_from(self.next() % width).expect("fits")
    }
}

fn ms(text: &str) -> i64 {
    text.parse::<Timestamp>().expect("a valid instant").as_millisecond()
}

fn instant(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("in range")
}

fn calendar(c: &mut Criterion) {
    let spec = CalendarSpec::cn_default();
    let holidays = HolidaySet::cn();
    let cal = Calendar::compile(&spec, Some(&holidays)).expect("the cn calendar compiles");

    let (lo, hi) = (ms("2024-01-01T00:00+08:00"), ms("2027-01-01T00:00+08:00"));
    let day = i64::try_from(cal.day_length().as_millis()).expect("fits");
    let mut rng = SplitMix(0x00A5_7E55_A1E5);
    let adds: Vec<(Timestamp, SignedDuration)> = (0..INPUTS)
        .map(|_| (instant(rng.range(lo, hi)), SignedDuration::from_millis(rng.range(60_000, 10 * day + 1))))
        .collect();
    let pairs: Vec<(Timestamp, Timestamp)> =
        (0..INPUTS).map(|_| (instant(rng.range(lo, hi)), instant(rng.range(lo, hi)))).collect();

    let mut group = c.benchmark_group("cn");
    group.throughput(Throughput::Elements(1));
    group.bench_function("add 1 min..10 working days", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & (INPUTS - 1);
            let (from, span) = adds[i];
            black_box(cal.add(black_box(from), black_box(span)))
        });
    });
    group.bench_function("between", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & (INPUTS - 1);
            let (from, to) = pairs[i];
            black_box(cal.between(black_box(from), black_box(to)))
        });
    });
    group.bench_function("is_working", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) & (INPUTS - 1);
            black_box(cal.is_working(black_box(pairs[i].0)))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("compile");
    group.sample_size(20);
    group.bench_function("cn 2000..=2099", |b| b.iter(|| Calendar::compile(black_box(&spec), Some(&holidays))));
    let nonstop = CalendarSpec::around_the_clock("plant");
    let mut berlin = CalendarSpec::cn_default();
    berlin.name = "berlin".into();
    berlin.time_zone = "Europe/Berlin".into();
    berlin.holiday_set = None;
    group.bench_function("berlin (DST) 2000..=2099", |b| b.iter(|| Calendar::compile(black_box(&berlin), None)));
    group.bench_function("24x7 2000..=2099", |b| b.iter(|| Calendar::compile(black_box(&nonstop), None)));
    group.finish();
}

criterion_group!(benches, calendar);
criterion_main!(benches);
