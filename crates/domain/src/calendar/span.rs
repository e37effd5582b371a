//! Spans and lengths as people write them (`4h`, `1h30m`, `2天`): the one reader of spans.

#[allow(unused_imports)]
use super::*;

/// The units of a span, longest spelling first: `d` (a day: [`Calendar::day_length`] for
/// working time), `h`, `m`, also `天`, `小时`, `分钟`, `分` and `min`.
pub(super) const SPAN_UNITS: [(&str, u8); 8] =
    [("天", 1), ("d", 1), ("小时", 2), ("h", 2), ("分钟", 3), ("分", 3), ("min", 3), ("m", 3)];

/// Why [`span_ms`] refused a text.
pub(super) enum SpanRefusal {
    Empty,
    Malformed,
}

/// The one reader of spans: a count then a unit, units in the order days, hours, minutes,
/// each at most once, spaces between parts allowed; no fractions, signs or unit-less
/// numbers. `day_ms` is a day's length; without it days are refused. The result is more
/// than zero and at most [`MAX_SPAN_DAYS`] days (of `day_ms`, else of 24 h).
pub(super) fn span_ms(text: &str, day_ms: Option<i64>) -> Result<i64, SpanRefusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SpanRefusal::Empty);
    }
    let mut total: i64 = 0;
    let mut last_unit = 0u8; // 1 = d, 2 = h, 3 = m: units must come in that order.
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(SpanRefusal::Malformed);
        }
        let count: i64 = rest[..digits].parse().map_err(|_| SpanRefusal::Malformed)?;
        rest = rest[digits..].trim_start();
        let (spelling, rank) = SPAN_UNITS
            .iter()
            .copied()
            .find(|(u, _)| rest.get(..u.len()).is_some_and(|p| p.eq_ignore_ascii_case(u)))
            .ok_or(SpanRefusal::Malformed)?;
        let unit_ms = match rank {
            1 => day_ms.ok_or(SpanRefusal::Malformed)?,
            2 => 3_600_000,
            _ => 60_000,
        };
        if rank <= last_unit {
            return Err(SpanRefusal::Malformed);
        }
        last_unit = rank;
        rest = rest[spelling.len()..].trim_start();
        total = count.checked_mul(unit_ms).and_then(|v| total.checked_add(v)).ok_or(SpanRefusal::Malformed)?;
    }
    if total == 0 || total > MAX_SPAN_DAYS * day_ms.unwrap_or(DAY_MS) {
        return Err(SpanRefusal::Malformed);
    }
    Ok(total)
}

/// Parses a span of working time: `90m`, `4h`, `3d`, `1h30m`, `2d4h` (units in this order,
/// each at most once; spaces between parts allowed; also `天`, `小时`, `分钟`), `d` being
/// `day` long (see [`Calendar::day_length`]). Refuses empty, zero, unit-less and negative
/// spans and spans over 3650 days, naming the field `working`.
pub fn parse_span(text: &str, day: SignedDuration) -> Result<SignedDuration, DomainError> {
    let refuse = || {
        DomainError::field(
            "working",
            malformed(
                "a span such as 90m, 4h, 3d, 1h30m or 2d4h (d, h, m; more than zero, at most 3650 days)",
                "时长，如 90m、4h、3d、1h30m、2d4h（单位 d 天、h 小时、m 分钟；大于零，最多 3650 天）",
            ),
        )
    };
    let day_ms = i64::try_from(day.as_millis()).ok().filter(|ms| *ms > 0).ok_or_else(refuse)?;
    match span_ms(text, Some(day_ms)) {
        Ok(ms) => Ok(SignedDuration::from_millis(ms)),
        Err(SpanRefusal::Empty) => Err(DomainError::field("working", Reason::Missing)),
        Err(SpanRefusal::Malformed) => Err(refuse()),
    }
}

/// Parses a length in whole minutes, as the grading scheme and the service policy forms
/// write it: `2h`, `90m`, `1h30m`, `2小时30分钟` (hours and minutes only: whether a day is
/// 24 hours or a working day depends on the clock, so 5 days is written `120h`). The same
/// reader as [`parse_span`], with its limits: more than zero, at most 3650 × 24 hours.
pub fn parse_minutes(text: &str) -> Result<i64, Reason> {
    match span_ms(text, None) {
        Ok(ms) => Ok(ms / 60_000),
        Err(SpanRefusal::Empty) => Err(Reason::Missing),
        Err(SpanRefusal::Malformed) => Err(malformed(
            "a length such as 2h, 90m or 1h30m (h hours, m minutes; 5 days is 120h)",
            "时长，如 2h、90m、1h30m（h 小时，m 分钟；5 天写 120h）",
        )),
    }
}

/// A length in minutes as the forms write it and [`parse_minutes`] reads it back: `2h`,
/// `1h30m`, `45m` (`0m` for zero, which [`parse_minutes`] refuses).
pub fn span_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}
