//! What templates use to speak the reader's language: words in both languages side by side
//! (Chinese first, from the seeds' terms), instants in the service time zone, durations.

use aftersales_domain::clock::{ClockState, ClockView};
use aftersales_domain::{Lang, Timestamp};

/// The reader's language and the service time zone.
#[derive(Debug, Clone)]
pub struct L {
    pub lang: Lang,
    tz: jiff::tz::TimeZone,
}

impl L {
    pub fn new(lang: Lang, tz: jiff::tz::TimeZone) -> L {
        L { lang, tz }
    }

    /// The Chinese or the English words.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The `lang` attribute of the page.
    pub fn html_lang(&self) -> &'static str {
        self.lang.code()
    }

    /// A date and time in the service time zone: `2024-03-15 09:30` (both languages use
    /// the ISO order; English adds the weekday for reading aloud).
    pub fn ts(&self, t: impl Instant) -> String {
        let Some(t) = t.instant() else { return String::new() };
        let z = t.to_zoned(self.tz.clone());
        match self.lang {
            Lang::Zh => z.strftime("%Y-%m-%d %H:%M").to_string(),
            Lang::En => z.strftime("%a %Y-%m-%d %H:%M").to_string(),
        }
    }

    /// RFC 3339 for `datetime` attributes and the countdown script.
    pub fn iso(&self, t: impl Instant) -> String {
        t.instant().map(|t| t.to_string()).unwrap_or_default()
    }

    /// A number of minutes as days, hours and minutes: `1天2小时5分` / `1d 2h 5m`.
    pub fn minutes(&self, m: i64) -> String {
        let m = m.abs();
        let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
        let mut out = String::new();
        let units = match self.lang {
            Lang::Zh => ["天", "小时", "分"],
            Lang::En => ["d ", "h ", "m"],
        };
        if d > 0 {
            out.push_str(&format!("{d}{}", units[0]));
        }
        if h > 0 || d > 0 {
            out.push_str(&format!("{h}{}", units[1]));
        }
        out.push_str(&format!("{min}{}", units[2]));
        out.trim().to_owned()
    }

    /// How a clock stands, in words: time left, overdue by, met with margin.
    pub fn clock_left(&self, c: &ClockView) -> String {
        match (c.state, c.remaining_minutes) {
            (ClockState::Running, Some(r)) if r >= 0 => format!("{} {}", self.t("剩余", "left"), self.minutes(r)),
            (ClockState::Running | ClockState::Breached, Some(r)) => {
                format!("{} {}", self.t("已超时", "overdue by"), self.minutes(r))
            }
            (ClockState::Met, _) => match c.margin_minutes {
                Some(m) if m >= 0 => format!("{} {}", self.t("提前", "with"), self.minutes(m)),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }
}

/// The CSS class of a clock: due soon (under an hour), overdue, or neither.
pub fn urgency(c: &ClockView) -> &'static str {
    match (c.state, c.remaining_minutes) {
        (ClockState::Breached, _) => "late",
        (ClockState::Running, Some(r)) if r < 0 => "late",
        (ClockState::Running, Some(r)) if r <= 60 => "soon",
        (ClockState::Running, _) => "ok",
        (ClockState::Met, _) => "done",
        _ => "idle",
    }
}

/// An instant or none, however deeply borrowed (templates pass their arguments by reference).
pub trait Instant {
    fn instant(&self) -> Option<Timestamp>;
}

impl Instant for Timestamp {
    fn instant(&self) -> Option<Timestamp> {
        Some(*self)
    }
}

impl Instant for Option<Timestamp> {
    fn instant(&self) -> Option<Timestamp> {
        *self
    }
}

impl<T: Instant + ?Sized> Instant for &T {
    fn instant(&self) -> Option<Timestamp> {
        (**self).instant()
    }
}
