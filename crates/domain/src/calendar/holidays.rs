//! Official holiday schedules (DOMAIN §4: China's holidays and make-up working days 调休):
//! the days off and make-up days of each year, read from CSV or iCalendar files and edited by hand.

#[allow(unused_imports)]
use super::*;

/// What an official schedule says about one civil date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayRule {
    /// A day off (放假), whatever weekday it is.
    Off { name: String },
    /// A make-up working day (调休上班), worked with the hours of `hours_of`.
    Work {
        name: String,
        #[serde(with = "weekday_name")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "monday"))]
        hours_of: Weekday,
    },
}

/// An official schedule of days off and make-up working days (e.g. China's, published each
/// year by the State Council General Office).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidaySet {
    pub name: String,
    /// Years for which official data is present, with where it comes from.
    pub years: BTreeMap<i16, String>,
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, DayRule>))]
    pub days: BTreeMap<Date, DayRule>,
}

/// A holiday file refused, naming the line.
pub(super) fn file_error(line: usize, en: &str, zh: &str) -> DomainError {
    DomainError::field("data", Reason::AtLine { line, en: en.to_owned(), zh: zh.to_owned() })
}

/// One line of text as stored: control characters (a newline in an ICS summary, say)
/// become spaces, so the CSV form always reads back.
pub(super) fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// The longest range one line, event or hand edit may cover: a holiday schedule is about
/// one year.
pub(super) const MAX_RANGE_DAYS: i64 = 366;
/// The longest name of a day off or make-up working day entered by hand.
pub(super) const MAX_DAY_NAME: usize = 50;
/// The longest source (where a year's schedule comes from) entered by hand.
pub(super) const MAX_SOURCE: usize = 200;

/// Is `name` usable as a calendar or holiday-set name (`[a-z0-9_-]{1,32}`)?
pub fn is_valid_name(name: &str) -> bool {
    valid_name(name)
}

/// Splits one CSV line into fields; `"` quotes a field and `""` inside quotes is one `"`.
pub(super) fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_owned());
                        return Some(fields);
                    }
                    Some(',') => {
                        fields.push(field.trim_end().to_owned());
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

pub(super) fn csv_quote(field: &str) -> String {
    let field = &one_line(field);
    if field.contains([',', '"', '\n', '\r']) || field.starts_with([' ', '\t']) || field.ends_with([' ', '\t']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

pub(super) fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = text[0..4].parse::<i16>().ok()?;
    let m = text[5..7].parse::<i8>().ok()?;
    let d = text[8..10].parse::<i8>().ok()?;
    Date::new(y, m, d).ok()
}

/// Every date from `first` to `last`, both included.
pub(super) fn each_day(first: Date, last: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(first), move |d| d.tomorrow().ok().filter(|next| *next <= last))
        .take_while(move |d| *d <= last)
}

pub(super) const CSV_HEADER: &str = "\
# Official days off and make-up working days (调休), one rule a line.
# Columns: kind,date,name,hours_of
#   kind      source | off | work
#   date      source: the year (YYYY); off/work: YYYY-MM-DD or an inclusive range YYYY-MM-DD..YYYY-MM-DD
#   name      source: where that year's data comes from; off/work: the name people read
#   hours_of  work only, optional: whose hours the make-up day is worked with (monday..sunday, default monday)
# Fields containing commas are quoted with \"; lines starting with # and blank lines are ignored.
# A year listed by a source line is fully described: its other days follow the weekly hours.
";

impl HolidaySet {
    /// China's official schedule, from the State Council General Office notices.
    pub fn cn() -> HolidaySet {
        HolidaySet::parse_csv("cn", include_str!("../../data/cn-holidays.csv"))
            .expect("the bundled data/cn-holidays.csv is valid (tested)")
    }

    /// Reads the CSV import format documented at the top of `data/cn-holidays.csv`.
    pub fn parse_csv(name: &str, text: &str) -> Result<HolidaySet, DomainError> {
        let mut set = HolidaySet { name: name.into(), ..HolidaySet::default() };
        // The first line that names each year, to report days of a year with no source.
        let mut first_line_of_year: BTreeMap<i16, usize> = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let n = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = csv_fields(line).ok_or_else(|| file_error(n, "unbalanced quotes", "引号不成对"))?;
            if fields.len() < 3 || fields.len() > 4 {
                return Err(file_error(
                    n,
                    "expected kind,date,name[,hours_of]",
                    "应为 kind,date,name[,hours_of] 四列（hours_of 可省略）",
                ));
            }
            let kind = fields[0].to_ascii_lowercase();
            let (date, label) = (fields[1].as_str(), fields[2].trim());
            let hours_of = fields.get(3).map(|s| s.trim()).filter(|s| !s.is_empty());
            if kind == "kind" {
                continue; // The header row.
            }
            if label.is_empty() {
                return Err(file_error(n, "the name is empty", "名称为空"));
            }
            if kind != "work" && hours_of.is_some() {
                return Err(file_error(n, "hours_of is only for work lines", "只有 work 行可以填写 hours_of"));
            }
            let rule = match kind.as_str() {
                "source" => {
                    let year =
                        date.parse::<i16>().ok().filter(|y| date.len() == 4 && (1000..=9999).contains(y)).ok_or_else(
                            || file_error(n, "a source date is a year YYYY", "source 行的日期应为年份 YYYY"),
                        )?;
                    if set.years.insert(year, label.to_owned()).is_some() {
                        return Err(file_error(n, "this year already has a source", "该年份已有来源"));
                    }
                    first_line_of_year.entry(year).or_insert(n);
                    continue;
                }
                "off" => DayRule::Off { name: label.to_owned() },
                "work" => {
                    let hours_of = match hours_of {
                        None => Weekday::Monday,
                        Some(w) => weekday_from_name(w).ok_or_else(|| {
                            file_error(n, "hours_of is a weekday such as monday", "hours_of 应为星期几，如 monday")
                        })?,
                    };
                    DayRule::Work { name: label.to_owned(), hours_of }
                }
                _ => return Err(file_error(n, "kind is source, off or work", "kind 应为 source、off 或 work")),
            };
            let (first, last) = match date.split_once("..") {
                None => (parse_date(date), parse_date(date)),
                Some((a, b)) => (parse_date(a.trim()), parse_date(b.trim())),
            };
            let (Some(first), Some(last)) = (first, last) else {
                return Err(file_error(
                    n,
                    "the date is YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD",
                    "日期应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD",
                ));
            };
            if last < first {
                return Err(file_error(n, "the range ends before it starts", "日期范围的结束早于开始"));
            }
            if (last - first).get_days() as i64 >= MAX_RANGE_DAYS
                || !(FIRST_YEAR..=LAST_YEAR).contains(&first.year())
                || !(FIRST_YEAR..=LAST_YEAR).contains(&last.year())
            {
                return Err(file_error(
                    n,
                    "a range covers at most 366 days within 2000–2099",
                    "一个日期范围最多 366 天，且在 2000–2099 年之内",
                ));
            }
            for day in each_day(first, last) {
                if set.days.get(&day).is_some_and(|old| *old != rule) {
                    return Err(file_error(
                        n,
                        &format!("{day} is already given another rule"),
                        &format!("{day} 已有其他安排"),
                    ));
                }
                set.days.insert(day, rule.clone());
                first_line_of_year.entry(day.year()).or_insert(n);
            }
        }
        for (year, line) in &first_line_of_year {
            if !set.years.contains_key(year) {
                return Err(file_error(
                    *line,
                    &format!("year {year} has no source line"),
                    &format!("{year} 年缺少 source 行（数据来源）"),
                ));
            }
        }
        Ok(set)
    }

    /// Reads an iCalendar file: each VEVENT is a day off, or a make-up working day when its
    /// SUMMARY contains 班 (上班/补班) or the word "work", or when `X-AFTERSALES-KIND` says so.
    /// Every year an event touches is recorded as covered, with `source`.
    pub fn parse_ics(name: &str, text: &str, source: &str) -> Result<HolidaySet, DomainError> {
        let mut set = HolidaySet { name: name.into(), ..HolidaySet::default() };
        let mut event: Option<IcsEvent> = None;
        let mut events = 0usize;
        for (n, line) in unfold_ics(text) {
            let Some((head, value)) = split_ics_property(&line) else { continue };
            let mut params = head.split(';');
            let prop = params.next().unwrap_or_default().to_ascii_uppercase();
            let upper_value = value.trim().to_ascii_uppercase();
            match (prop.as_str(), event.as_mut()) {
                ("BEGIN", None) if upper_value == "VEVENT" => {
                    event = Some(IcsEvent { begin_line: n, ..IcsEvent::default() })
                }
                ("BEGIN", Some(_)) if upper_value == "VEVENT" => {
                    return Err(file_error(n, "VEVENT inside a VEVENT", "VEVENT 嵌套"));
                }
                ("END", Some(_)) if upper_value == "VEVENT" => {
                    let done = event.take().unwrap_or_default();
                    done.apply(&mut set, source)?;
                    events += 1;
                }
                ("DTSTART", Some(e)) => e.start = Some((ics_date(value).ok_or_else(|| ics_date_error(n))?, n)),
                ("DTEND", Some(e)) => {
                    let end = ics_date(value).ok_or_else(|| ics_date_error(n))?;
                    // An end with a time of day other than midnight still includes that day.
                    let exclusive = value.trim().get(9..15).is_none_or(|t| t == "000000");
                    e.end = Some(if exclusive { end } else { end.tomorrow().map_err(|_| ics_date_error(n))? });
                }
                ("DURATION", Some(e)) => {
                    e.days = Some(
                        ics_duration_days(value)
                            .ok_or_else(|| file_error(n, "DURATION is PnD or PnW", "DURATION 应为 PnD 或 PnW"))?,
                    )
                }
                ("SUMMARY", Some(e)) => e.summary = one_line(&unescape_ics(value)),
                ("X-AFTERSALES-KIND", Some(e)) => {
                    e.kind = Some(match upper_value.as_str() {
                        "WORK" => true,
                        "OFF" => false,
                        _ => {
                            return Err(file_error(
                                n,
                                "X-AFTERSALES-KIND is work or off",
                                "X-AFTERSALES-KIND 应为 work 或 off",
                            ));
                        }
                    });
                }
                ("X-AFTERSALES-HOURS-OF", Some(e)) => {
                    e.hours_of = Some(weekday_from_name(value).ok_or_else(|| {
                        file_error(
                            n,
                            "X-AFTERSALES-HOURS-OF is a weekday such as monday",
                            "X-AFTERSALES-HOURS-OF 应为星期几",
                        )
                    })?);
                }
                _ => {}
            }
        }
        if let Some(open) = event {
            return Err(file_error(open.begin_line, "VEVENT without END:VEVENT", "VEVENT 缺少 END:VEVENT"));
        }
        if events == 0 {
            return Err(file_error(1, "the file has no VEVENT", "文件中没有 VEVENT"));
        }
        Ok(set)
    }

    /// Takes `other`'s data for the years `other` covers: this set's days of those years are
    /// dropped and `other`'s days and sources put in their place.
    pub fn merge(&mut self, other: HolidaySet) {
        self.days.retain(|day, _| !other.years.contains_key(&day.year()));
        self.years.extend(other.years);
        self.days.extend(other.days);
    }

    /// An administrator's hand edit (the calendar page): the days `first..=last` get `rule`
    /// (a day off or a make-up working day, its name one line of at most 50 characters), or
    /// lose the rule they had when `rule` is `None`. A range covers at most 366 days within
    /// 2000–2099, like a line of an imported file. A year the set has no data for yet needs
    /// `source` (where the schedule comes from; one line of at most 200 characters). Names
    /// every refused field at once and changes nothing then; returns how many days the edit
    /// covered.
    pub fn edit(
        &mut self,
        first: Date,
        last: Date,
        rule: Option<&DayRule>,
        source: Option<&str>,
    ) -> Result<usize, DomainError> {
        let mut p: Vec<(Field, Reason)> = Vec::new();
        if last < first {
            p.push(("last", malformed("a date on or after the first", "不早于开始日期的日期")));
        } else if (last - first).get_days() as i64 >= MAX_RANGE_DAYS {
            p.push(("last", malformed("at most 366 days", "最多 366 天")));
        }
        for (field, d) in [("first", first), ("last", last)] {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
                p.push((field, malformed("a date in 2000–2099", "2000–2099 年之间的日期")));
            }
        }
        let rule = rule.map(|r| {
            let (DayRule::Off { name } | DayRule::Work { name, .. }) = r;
            let label = one_line(name);
            if label.is_empty() {
                p.push(("name", Reason::Missing));
            } else if label.chars().count() > MAX_DAY_NAME {
                p.push(("name", Reason::TooLong { max: MAX_DAY_NAME }));
            }
            match r {
                DayRule::Off { .. } => DayRule::Off { name: label },
                DayRule::Work { hours_of, .. } => DayRule::Work { name: label, hours_of: *hours_of },
            }
        });
        let source = source.map(one_line).filter(|s| !s.is_empty());
        if source.as_ref().is_some_and(|s| s.chars().count() > MAX_SOURCE) {
            p.push(("source", Reason::TooLong { max: MAX_SOURCE }));
        }
        if !p.is_empty() {
            return Err(DomainError::Invalid(p));
        }
        let days: Vec<Date> = each_day(first, last).collect();
        let Some(rule) = rule else {
            for d in &days {
                self.days.remove(d);
            }
            return Ok(days.len());
        };
        let new_years: BTreeSet<i16> = days.iter().map(|d| d.year()).filter(|y| !self.years.contains_key(y)).collect();
        if !new_years.is_empty() {
            let source = source.ok_or_else(|| DomainError::field("source", Reason::Missing))?;
            for y in new_years {
                self.years.insert(y, source.clone());
            }
        }
        for d in &days {
            self.days.insert(*d, rule.clone());
        }
        Ok(days.len())
    }

    /// Writes the CSV import format; [`HolidaySet::parse_csv`] reads it back unchanged.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push_str("kind,date,name,hours_of\n");
        for (year, source) in &self.years {
            out.push_str(&format!("source,{year},{},\n", csv_quote(source)));
        }
        // Runs of consecutive days with the same rule become one range line.
        let mut run: Option<(Date, Date, &DayRule)> = None;
        let flush = |out: &mut String, (first, last, rule): (Date, Date, &DayRule)| {
            let date = if first == last { first.to_string() } else { format!("{first}..{last}") };
            match rule {
                DayRule::Off { name } => out.push_str(&format!("off,{date},{},\n", csv_quote(name))),
                DayRule::Work { name, hours_of } => {
                    out.push_str(&format!("work,{date},{},{}\n", csv_quote(name), weekday_to_name(*hours_of)));
                }
            }
        };
        for (day, rule) in &self.days {
            run = match run {
                Some((first, last, r)) if r == rule && last.tomorrow().ok() == Some(*day) => Some((first, *day, r)),
                Some(done) => {
                    flush(&mut out, done);
                    Some((*day, *day, rule))
                }
                None => Some((*day, *day, rule)),
            };
        }
        if let Some(done) = run {
            flush(&mut out, done);
        }
        out
    }
}

#[derive(Default)]
pub(super) struct IcsEvent {
    begin_line: usize,
    start: Option<(Date, usize)>,
    /// Exclusive.
    end: Option<Date>,
    days: Option<i64>,
    summary: String,
    kind: Option<bool>,
    hours_of: Option<Weekday>,
}

impl IcsEvent {
    fn apply(self, set: &mut HolidaySet, source: &str) -> Result<(), DomainError> {
        let Some((first, line)) = self.start else {
            return Err(file_error(self.begin_line, "VEVENT without DTSTART", "VEVENT 缺少 DTSTART"));
        };
        let summary = self.summary.trim();
        let work = self.kind.unwrap_or_else(|| summary.contains('班') || mentions_work(summary));
        let rule = if work {
            let name = if summary.is_empty() { "调休上班" } else { summary };
            DayRule::Work { name: name.into(), hours_of: self.hours_of.unwrap_or(Weekday::Monday) }
        } else {
            DayRule::Off { name: if summary.is_empty() { "放假" } else { summary }.into() }
        };
        let end = match (self.end, self.days) {
            (Some(end), _) => end,
            (None, Some(days)) => first.checked_add(jiff::Span::new().days(days)).map_err(|_| ics_date_error(line))?,
            (None, None) => first.tomorrow().map_err(|_| ics_date_error(line))?,
        };
        let last = end.yesterday().ok().filter(|last| *last >= first).unwrap_or(first);
        if (last - first).get_days() as i64 >= MAX_RANGE_DAYS
            || !(FIRST_YEAR..=LAST_YEAR).contains(&first.year())
            || !(FIRST_YEAR..=LAST_YEAR).contains(&last.year())
        {
            return Err(file_error(
                line,
                "an event covers at most 366 days within 2000–2099",
                "一个事件最多 366 天，且在 2000–2099 年之内",
            ));
        }
        for day in each_day(first, last) {
            set.years.entry(day.year()).or_insert_with(|| one_line(source));
            set.days.insert(day, rule.clone());
        }
        Ok(())
    }
}

/// "work" as a word or the start of one (work, workday, working day), not inside "network".
pub(super) fn mentions_work(summary: &str) -> bool {
    let lower = summary.to_lowercase();
    lower.match_indices("work").any(|(i, _)| !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric))
}

pub(super) fn ics_date_error(line: usize) -> DomainError {
    file_error(line, "the date is YYYYMMDD", "日期应为 YYYYMMDD")
}

/// The date part of `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`.
pub(super) fn ics_date(value: &str) -> Option<Date> {
    let v = value.trim();
    let digits = v.get(0..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(v.len() == 8 || v[8..].starts_with('T')) {
        return None;
    }
    Date::new(digits[0..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..8].parse().ok()?).ok()
}

pub(super) fn ics_duration_days(value: &str) -> Option<i64> {
    let v = value.trim().to_ascii_uppercase();
    let body = v.strip_prefix('P')?;
    let (count, unit) = body.split_at(body.len().checked_sub(1)?);
    let count: i64 = count.parse().ok().filter(|c| (1..=3660).contains(c))?;
    match unit {
        "D" => Some(count),
        "W" => Some(count * 7),
        _ => None,
    }
}

pub(super) fn unescape_ics(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Logical lines with the number of the physical line each starts on (RFC 5545 §3.1: a line
/// starting with a space or tab continues the previous one).
pub(super) fn unfold_ics(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((index + 1, raw.to_owned())),
        }
    }
    lines
}

/// `NAME;PARAM=VALUE:value` into the part before the colon and the value (colons inside quoted
/// parameter values do not count).
pub(super) fn split_ics_property(line: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}
