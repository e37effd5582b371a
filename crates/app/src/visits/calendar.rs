//! The dispatcher's calendar of visits, the engineer's day, and engineers' leave and duty
//! days (issue 13): the read side of visits, and the days that bookings are checked against.
//!
//! Who sets leave and duty days (`Action::ManageWorkingDays`): dispatchers, supervisors and
//! administrators (see the parent module).

use super::*;

/// One of the engineer's visits today, with what the phone page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayVisit {
    #[serde(flatten)]
    pub visit: Visit,
    pub customer_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub device_model: Option<String>,
    pub device_serial: Option<String>,
    pub description: String,
}

/// `GET /api/v1/visits/calendar`: engineers' visits and days in a range of days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// The first day (`YYYY-MM-DD`); by default today.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = Date))]
    pub from: Option<Date>,
    /// How many days, 1 to 14 (default 7).
    pub days: Option<i64>,
    /// Comma-separated engineer ids; by default every active engineer (of `group_id`).
    pub engineers: Option<String>,
    pub group_id: Option<Id>,
}

/// The dispatcher's calendar: one row per engineer, one cell per day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitCalendar {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub days: Vec<Date>,
    pub rows: Vec<CalendarRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarRow {
    pub engineer_id: Id,
    pub engineer_name: String,
    pub cells: Vec<CalendarCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarCell {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: Date,
    /// Leave or duty that day, if set.
    pub kind: Option<DayKind>,
    pub note: Option<String>,
    /// A working day of the business calendar.
    pub working_day: bool,
    /// The day's visits (cancelled ones left out), by planned start.
    pub visits: Vec<Visit>,
}

/// Leave or duty days set for one engineer (`PUT /api/v1/engineers/{id}/days`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DaysInput {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    /// The last day (inclusive); by default `from`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub to: Option<Date>,
    /// `leave`, `duty`, or absent to clear the days back to the business calendar.
    pub kind: Option<DayKind>,
    pub note: Option<String>,
}

impl App {
    /// The dispatcher's calendar: engineers' visits, leave and duty over 1 to 14 days.
    pub async fn visit_calendar(&self, actor: &Actor, q: &CalendarQuery) -> Result<VisitCalendar> {
        actor.require_staff(Action::ReadTicket)?;
        self.warm().await?;
        let cal = self.working_calendar().await?;
        let tz = cal.time_zone().clone();
        let first = q.from.unwrap_or_else(|| tz.to_datetime(self.now()).date());
        let count = q.days.unwrap_or(7);
        if !(1..=MAX_CALENDAR_DAYS).contains(&count) {
            return Err(AppError::invalid(
                "days",
                Reason::Mismatch { detail_en: "must be 1 to 14", detail_zh: "须为 1～14 天" },
            ));
        }
        let days: Vec<Date> = (0..count).filter_map(|i| first.checked_add(jiff::Span::new().days(i)).ok()).collect();
        let last = *days.last().unwrap_or(&first);
        let conn = self.store.read();
        let engineers = self.calendar_engineers(conn, q).await?;
        let ids: Vec<Id> = engineers.iter().map(|u| u.id).collect();
        let start = tz
            .to_timestamp(first.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|e| AppError::internal("calendar range", e))?;
        let end = last
            .tomorrow()
            .ok()
            .and_then(|d| tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok())
            .ok_or_else(|| AppError::internal("calendar range", "end of range"))?;
        let visits = store::in_range(conn, Some(&ids), start, end, false).await?;
        let marks = store::days(conn, Some(&ids), first, last).await?;
        let mut by_engineer: HashMap<Id, Vec<Visit>> = HashMap::new();
        for v in visits {
            by_engineer.entry(v.engineer_id).or_default().push(v);
        }
        let working: Vec<bool> = days.iter().map(|d| cal.working_day(*d).is_some()).collect();
        let rows = engineers
            .into_iter()
            .map(|u| {
                let mine = by_engineer.remove(&u.id).unwrap_or_default();
                let cells = days
                    .iter()
                    .zip(&working)
                    .map(|(d, w)| {
                        let mark = marks.iter().find(|m| m.user_id == u.id && m.day == *d);
                        CalendarCell {
                            day: *d,
                            kind: mark.map(|m| m.kind),
                            note: mark.and_then(|m| m.note.clone()),
                            working_day: *w,
                            visits: mine
                                .iter()
                                .filter(|v| tz.to_datetime(v.planned_start).date() == *d)
                                .cloned()
                                .collect(),
                        }
                    })
                    .collect();
                CalendarRow { engineer_id: u.id, engineer_name: u.display_name, cells }
            })
            .collect();
        Ok(VisitCalendar { days, rows })
    }

    async fn calendar_engineers<C: Conn>(&self, conn: &C, q: &CalendarQuery) -> Result<Vec<User>> {
        let roles: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.line().is_some()).collect();
        let all = users::users(conn, &roles, q.group_id, None, 1000, 0).await?;
        let wanted: Option<Vec<Id>> = match q.engineers.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(list) => {
                Some(list.split(',').map(|s| s.trim().parse::<Id>()).collect::<std::result::Result<_, _>>().map_err(
                    |_| {
                        AppError::invalid(
                            "engineers",
                            Reason::Malformed {
                                expected_en: "comma-separated ids", expected_zh: "以逗号分隔的编号"
                            },
                        )
                    },
                )?)
            }
        };
        Ok(all.into_iter().filter(|u| u.active).filter(|u| wanted.as_ref().is_none_or(|w| w.contains(&u.id))).collect())
    }

    /// The engineer's visits of today (今日上门), in order of planned start, with the
    /// address, contact and device the phone page shows; cancelled ones left out.
    pub async fn my_day(&self, actor: &Actor) -> Result<Vec<DayVisit>> {
        actor.require_staff(Action::WorkTicket)?;
        self.warm().await?;
        let cal = self.working_calendar().await?;
        let tz = cal.time_zone().clone();
        let today = tz.to_datetime(self.now()).date();
        let start = tz
            .to_timestamp(today.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|e| AppError::internal("today", e))?;
        let end = start + jiff::SignedDuration::from_hours(24);
        let conn = self.store.read();
        let mine = store::in_range(conn, Some(&[actor.id()]), start, end, false).await?;
        let mine: Vec<Visit> = mine.into_iter().filter(|v| v.planned_start >= start && v.planned_start < end).collect();
        let ids: Vec<Id> = mine.iter().map(|v| v.ticket_id).collect();
        let ts: HashMap<Id, Ticket> = tickets::by_ids(conn, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
        let mut out = Vec::with_capacity(mine.len());
        for v in mine {
            let Some(t) = ts.get(&v.ticket_id) else { continue };
            let customer = directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.name).unwrap_or_default();
            out.push(DayVisit {
                customer_name: customer,
                contact_name: t.contact_name.clone(),
                contact_phone: t.contact_phone.clone(),
                device_model: t.device_model.clone(),
                device_serial: t.device_serial.clone(),
                description: t.description.clone(),
                visit: v,
            });
        }
        Ok(out)
    }

    /// An engineer's leave and duty days in `[from, to]` (staff).
    pub async fn working_days(&self, actor: &Actor, engineer: Id, from: Date, to: Date) -> Result<Vec<EngineerDay>> {
        actor.require_staff(Action::ReadUsers)?;
        working_calendar::check_range(from, to)?;
        let conn = self.store.read();
        self.engineer(conn, engineer).await?;
        Ok(store::days(conn, Some(&[engineer]), from, to).await?)
    }

    /// Sets (or clears) an engineer's leave or duty days; see the module's note on who may.
    pub async fn set_working_days(&self, actor: &Actor, engineer: Id, input: &DaysInput) -> Result<Vec<EngineerDay>> {
        actor.require_staff(Action::ManageWorkingDays)?;
        let to = input.to.unwrap_or(input.from);
        let dates = working_calendar::check_range(input.from, to)?;
        let note = optional_note("note", input.note.as_deref())?;
        let tx = self.store.write().await?;
        self.engineer(&*tx, engineer).await?;
        store::clear_days(&*tx, engineer, input.from, to).await?;
        if let Some(kind) = input.kind {
            let days: Vec<EngineerDay> =
                dates.iter().map(|d| EngineerDay { user_id: engineer, day: *d, kind, note: note.clone() }).collect();
            store::set_days(&*tx, &days, actor.id(), self.now()).await?;
        }
        let out = store::days(&*tx, Some(&[engineer]), input.from, to).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn engineer<C: Conn>(&self, conn: &C, id: Id) -> Result<User> {
        match users::user_by_id(conn, id).await? {
            Some(u) if u.role.line().is_some() => Ok(u),
            _ => Err(AppError::not_found("engineer", id)),
        }
    }
}
