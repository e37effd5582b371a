//! What templates use to speak the reader's language: words from the catalogs by key
//! (`crate::i18n`), instants in the service time zone, durations.

use std::fmt::Display;

use aftersales_domain::clock::{ClockState, ClockView};
use aftersales_domain::grading::Counting;
use aftersales_domain::{Lang, Timestamp};

/// The value of an `<input type="datetime-local">` (`2025-09-30T16:00`): a wall-clock time
/// in `tz`; `None` when it is no such time.
pub fn datetime_local(value: &str, tz: &jiff::tz::TimeZone) -> Option<Timestamp> {
    let civil = jiff::civil::DateTime::strptime(DATETIME_LOCAL, value.trim()).ok()?;
    civil.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

/// The format of an `<input type="datetime-local">`.
pub const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

/// The reader's language and the service time zone.
#[derive(Debug, Clone)]
pub struct L {
    pub lang: Lang,
    tz: jiff::tz::TimeZone,
}

/// An amount in fen however a template holds it (a value, or a reference to one).
pub trait Fen {
    fn fen(&self) -> i64;
}

impl Fen for i64 {
    fn fen(&self) -> i64 {
        *self
    }
}

impl<T: Fen + ?Sized> Fen for &T {
    fn fen(&self) -> i64 {
        (**self).fen()
    }
}

impl L {
    pub fn new(lang: Lang, tz: jiff::tz::TimeZone) -> L {
        L { lang, tz }
    }

    /// Fen as people read money: `¥1,234.50`.
    pub fn yuan(&self, fen: impl Fen) -> String {
        aftersales_domain::fee::yuan(fen.fen())
    }

    /// Fen as a form field shows it for editing: `1234.50`.
    pub fn yuan_plain(&self, fen: impl Fen) -> String {
        aftersales_domain::fee::yuan_plain(fen.fen())
    }

    /// A rate in basis points as a percentage: `13%`, `6.5%`.
    pub fn rate(&self, bp: impl Fen) -> String {
        let bp = bp.fen();
        let text = format!("{}.{:02}", bp / 100, bp % 100);
        format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
    }

    /// The catalog's words for `key` (`crate::i18n`), borrowed from the binary.
    pub fn t(&self, key: &'static str) -> &'static str {
        crate::i18n::text(self.lang, key)
    }

    /// The catalog's words for `key` with its `%{name}` placeholders filled.
    pub fn tf(&self, key: &'static str, args: &[(&str, &dyn Display)]) -> String {
        crate::i18n::format(self.lang, key, args)
    }

    /// One of two words chosen at run time from a table (field labels, index entries) that
    /// has not moved to the catalogs yet; literal words go to the catalogs (the catalog test
    /// refuses literals here).
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
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

    /// A length of work or travel (a value or a reference: templates hand over either), as
    /// the rules pages write lengths: `1 小时 30 分钟`.
    pub fn mins(&self, m: impl std::borrow::Borrow<i64>) -> String {
        self.length(*m.borrow(), Length::Rule(Counting::WorkingTime))
    }

    /// A time of day in the service time zone: `09:30`.
    pub fn hm(&self, t: impl Instant) -> String {
        t.instant().map(|t| t.to_zoned(self.tz.clone()).strftime("%H:%M").to_string()).unwrap_or_default()
    }

    /// The value of an `<input type="datetime-local">` showing `t` (the inverse of [`datetime_local`]).
    pub fn local_input(&self, t: impl Instant) -> String {
        t.instant().map(|t| t.to_zoned(self.tz.clone()).strftime(DATETIME_LOCAL).to_string()).unwrap_or_default()
    }

    /// RFC 3339 for `datetime` attributes and the countdown script.
    pub fn iso(&self, t: impl Instant) -> String {
        t.instant().map(|t| t.to_string()).unwrap_or_default()
    }

    /// A length of `minutes` for reading, in the given [`Length`] style: the one formatter
    /// for lengths of time shown on the pages. (Form fields write lengths with
    /// `domain::calendar::span_text`, the inverse of the parser that reads them back.)
    pub fn length(&self, minutes: i64, style: Length) -> String {
        match style {
            Length::Rule(counting) => self.rule_length(minutes, counting),
            Length::Countdown => self.countdown(minutes),
        }
    }

    fn rule_length(&self, minutes: i64, counting: Counting) -> String {
        let (h, m) = (minutes / 60, minutes % 60);
        let mut out = match (self.lang, h, m) {
            (Lang::Zh, 0, m) => format!("{m} 分钟"),
            (Lang::Zh, h, 0) => format!("{h} 小时"),
            (Lang::Zh, h, m) => format!("{h} 小时 {m} 分钟"),
            (Lang::En, 0, m) => format!("{m} min"),
            (Lang::En, h, 0) => format!("{h} h"),
            (Lang::En, h, m) => format!("{h} h {m} min"),
        };
        if counting == Counting::WallClock && minutes >= 1440 && minutes % 1440 == 0 {
            let d = minutes / 1440;
            out.push_str(&if self.is_en() { format!(" ({d} days)") } else { format!("（{d} 天）") });
        }
        out
    }

    fn countdown(&self, m: i64) -> String {
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
            (ClockState::Running, Some(r)) if r >= 0 => {
                self.tf("view.time_left", &[("time", &self.length(r, Length::Countdown))])
            }
            (ClockState::Running | ClockState::Breached, Some(r)) => {
                self.tf("view.overdue_by", &[("time", &self.length(r, Length::Countdown))])
            }
            (ClockState::Met, _) => match c.margin_minutes {
                Some(m) if m >= 0 => self.tf("view.met_with", &[("time", &self.length(m, Length::Countdown))]),
                _ => String::new(),
            },
            _ => String::new(),
        }
    }
}

/// How a length of time is written for reading ([`L::length`]). The two uses really differ:
/// a rule is stated in hours (days are added only for wall-clock lengths: a working day is
/// not 24 hours), a countdown is compact and reaches days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// As the rules pages state a length: `2 小时`, `1 小时 30 分钟`, `120 小时（5 天）` (the
    /// days only where the length counts wall-clock time).
    Rule(Counting),
    /// A clock's time left or overdue, sign dropped: `1天2小时5分` / `1d 2h 5m`.
    Countdown,
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

/// A list's pager (templates/pager.html): the page shown, how many there are, and the links
/// to the neighbours, which keep the list's filters.
#[derive(Debug)]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    /// Items in the list (all pages).
    pub total: u64,
    /// The count stopped at a limit: there are at least `pages`.
    pub more: bool,
    /// The list's path and filters, ending in `?` or `&`, to which `page=N` is appended.
    href: String,
}

impl Pager {
    /// Empty filters are left out of the links.
    pub fn new(path: &str, page: u64, total: u64, per_page: u64, filters: &[(&str, &str)]) -> Pager {
        let query: String = filters
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}&", super::form_urlencode(v)))
            .collect();
        let pages = total.div_ceil(per_page.max(1)).max(1);
        Pager { page, pages, total, more: false, href: format!("{path}?{query}") }
    }

    /// Marks the total as a lower bound ("1000+"): the pages go on past the counted ones,
    /// and a page beyond them counts as one of them ("21 / 21+").
    pub fn counted_to_limit(mut self, more: bool) -> Pager {
        self.more = more;
        if more {
            self.pages = self.pages.max(self.page);
        }
        self
    }

    pub fn prev(&self) -> Option<String> {
        (self.page > 1).then(|| format!("{}page={}", self.href, self.page - 1))
    }

    pub fn next(&self) -> Option<String> {
        (self.page < self.pages || self.more).then(|| format!("{}page={}", self.href, self.page + 1))
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

#[cfg(test)]
mod tests {
    use aftersales_domain::Lang;
    use aftersales_domain::grading::Counting;

    use super::{L, Length, Pager};

    #[test]
    fn a_length_reads_as_a_rule_or_as_a_countdown() {
        let zh = L::new(Lang::Zh, jiff::tz::TimeZone::UTC);
        let en = L::new(Lang::En, jiff::tz::TimeZone::UTC);
        let wall = Length::Rule(Counting::WallClock);
        let working = Length::Rule(Counting::WorkingTime);
        assert_eq!(zh.length(90, wall), "1 小时 30 分钟");
        assert_eq!(zh.length(7200, wall), "120 小时（5 天）");
        assert_eq!(zh.length(7200, working), "120 小时", "a working day is not 24 hours");
        assert_eq!(en.length(7200, wall), "120 h (5 days)");
        assert_eq!(en.length(45, working), "45 min");
        assert_eq!(zh.length(1565, Length::Countdown), "1天2小时5分");
        assert_eq!(en.length(-1565, Length::Countdown), "1d 2h 5m", "overdue reads without its sign");
        assert_eq!(en.length(5, Length::Countdown), "5m");
    }

    #[test]
    fn a_pager_keeps_the_filters_that_are_set() {
        let p = Pager::new("/board", 2, 120, 50, &[("status", "open"), ("region", "华东"), ("overdue", "")]);
        assert_eq!((p.pages, p.total), (3, 120));
        assert_eq!(p.prev().as_deref(), Some("/board?status=open&region=%E5%8D%8E%E4%B8%9C&page=1"));
        assert_eq!(p.next().as_deref(), Some("/board?status=open&region=%E5%8D%8E%E4%B8%9C&page=3"));
        let last = Pager::new("/inbox", 1, 0, 50, &[]);
        assert_eq!((last.pages, last.prev(), last.next()), (1, None, None));
    }

    #[test]
    fn a_count_stopped_at_its_limit_pages_on_past_it() {
        let counted = Pager::new("/board", 20, 1000, 50, &[]);
        assert_eq!((counted.pages, counted.next()), (20, None), "an exact count ends at its last page");
        let more = Pager::new("/board", 20, 1000, 50, &[]).counted_to_limit(true);
        assert_eq!(more.next().as_deref(), Some("/board?page=21"));
        let beyond = Pager::new("/board", 23, 1000, 50, &[]).counted_to_limit(true);
        assert_eq!((beyond.pages, beyond.next().as_deref()), (23, Some("/board?page=24")));
    }
}
