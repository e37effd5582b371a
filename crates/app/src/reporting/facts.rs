//! Facts for reporting (STYLE habit 16): each ticket's `ticket_facts` row is written in the
//! transaction of every change to it ([`App::settle_facts`], called where its jobs are
//! rescheduled, at registration, when parts are used) and its notice counts in the one
//! that raises a notice; [`App::recompute_facts`] derives the same row from the history.

use aftersales_domain::Id;
use aftersales_domain::event::Event;
use aftersales_domain::reporting::{DeskRules, FactsInput, TicketFacts};
use aftersales_domain::ticket::Ticket;
use aftersales_storage::{Conn, directory, reporting as store, tickets};

use crate::{App, AppError, Result};

/// The ticket fields a history rewrites; at registration each is empty
/// (`Ticket::register`), so a replay starts them empty and applies every change in order.
const SETTLED: [&str; 10] = [
    "accepted_at",
    "dispatched_at",
    "responded_at",
    "resolved_at",
    "closed_at",
    "priority",
    "first_line_id",
    "second_line_id",
    "survey_result",
    "surveyed_at",
];

impl App {
    /// Writes the facts of `t` as it now is (in the caller's transaction).
    pub(crate) async fn settle_facts<C: Conn>(&self, conn: &C, t: &Ticket) -> Result<()> {
        let f = self.facts_of(conn, t, &t.clocks).await?;
        store::upsert_facts(conn, &f).await?;
        Ok(())
    }

    /// [`App::settle_facts`] for a ticket just registered in this transaction, with what
    /// the registration read before its write turn (the customer's region, the desk rules):
    /// one statement instead of five in the serialized write section (issue 18). A new
    /// ticket has used no parts; its notices are counted only if the registration raised one.
    pub(crate) async fn settle_new_facts<C: Conn>(
        &self,
        conn: &C,
        t: &Ticket,
        region: &str,
        rules: &DeskRules,
        raised_notice: bool,
    ) -> Result<()> {
        let cal = self.calendar(t.calendar.as_deref()).await?;
        let notices = if raised_notice { store::notice_counts(conn, t.id).await? } else { Default::default() };
        let input =
            FactsInput { ticket: t, clocks: &t.clocks, calendar: &cal, region, notices, parts_cost_fen: 0, rules };
        store::upsert_facts(conn, &TicketFacts::of(&input)?).await?;
        Ok(())
    }

    /// [`App::settle_facts`] for a ticket named by id (a change that did not load it).
    pub(crate) async fn settle_facts_of<C: Conn>(&self, conn: &C, ticket: Id) -> Result<()> {
        if let Some(t) = tickets::by_id(conn, ticket).await? {
            self.settle_facts(conn, &t).await?;
        }
        Ok(())
    }

    async fn facts_of<C: Conn>(
        &self,
        conn: &C,
        t: &Ticket,
        clocks: &aftersales_domain::clock::ClockSet,
    ) -> Result<TicketFacts> {
        let cal = self.calendar(t.calendar.as_deref()).await?;
        let region = directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.region).unwrap_or_default();
        let rules = self.desk_rules_in(conn).await?;
        let input = FactsInput {
            ticket: t,
            clocks,
            calendar: &cal,
            region: &region,
            notices: store::notice_counts(conn, t.id).await?,
            parts_cost_fen: store::parts_cost(conn, t.id).await?,
            rules: &rules,
        };
        Ok(TicketFacts::of(&input)?)
    }

    /// The facts of a ticket recomputed from its history: its clocks replayed from its
    /// events, its lifecycle instants, priority, engineers and survey taken from the
    /// events' changes (applied in order from the empty registration state), its notices
    /// counted. What [`App::settle_facts`] stored must equal this.
    pub async fn recompute_facts<C: Conn>(&self, conn: &C, ticket: Id) -> Result<TicketFacts> {
        let t = tickets::by_id(conn, ticket).await?.ok_or_else(|| AppError::not_found("ticket", ticket))?;
        let events = tickets::events(conn, ticket).await?;
        let replayed = replay_fields(&t, &events)?;
        let clocks = self.replay_clocks(conn, &t).await?;
        self.facts_of(conn, &replayed, &clocks).await
    }

    /// The stored facts of a ticket (for checks and the drill-down's tests).
    pub async fn stored_facts(&self, ticket: Id) -> Result<Option<TicketFacts>> {
        Ok(store::facts(self.store.read(), ticket).await?)
    }

    /// Writes facts for tickets that have none (tickets older than m0020), in batches of
    /// one transaction each; run at start, idempotent. Returns how many were written.
    pub async fn backfill_facts(&self) -> Result<u64> {
        let mut after = 0;
        let mut done = 0;
        loop {
            let ids = store::tickets_without_facts(self.store.read(), after, 200).await?;
            let Some(&last) = ids.last() else { break };
            after = last;
            self.warm().await?;
            let tx = self.store.write().await?;
            for id in ids {
                self.settle_facts_of(&*tx, id).await?;
                done += 1;
            }
            tx.commit().await?;
        }
        if done > 0 {
            tracing::info!(tickets = done, "report facts computed for tickets registered before they existed");
        }
        Ok(done)
    }

    pub(crate) async fn desk_rules_in<C: Conn>(&self, conn: &C) -> Result<DeskRules> {
        Ok(aftersales_storage::visits::setting(conn, super::DESK_RULES_SETTING)
            .await?
            .and_then(|s| serde_json::from_str::<DeskRules>(&s).ok())
            .filter(|r| r.check().is_ok())
            .unwrap_or_default())
    }
}

/// The ticket with its settled fields rebuilt from its events: registration state (every
/// field of [`SETTLED`] empty), then each
/// change's `after` in order.
fn replay_fields(t: &Ticket, events: &[Event]) -> Result<Ticket> {
    let mut v = serde_json::to_value(t).map_err(|e| AppError::internal("ticket as JSON", e))?;
    let obj = v.as_object_mut().ok_or_else(|| AppError::internal("ticket as JSON", "not an object"))?;
    for f in SETTLED {
        obj.insert(f.to_owned(), serde_json::Value::Null);
    }
    for e in events {
        for c in &e.changes {
            if SETTLED.contains(&c.field.as_str()) {
                obj.insert(c.field.clone(), c.after.clone());
            }
        }
    }
    let mut out: Ticket = serde_json::from_value(v).map_err(|e| AppError::internal("replayed ticket", e))?;
    out.clocks = t.clocks.clone();
    Ok(out)
}
