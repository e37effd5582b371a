//! The delivery outbox (DOMAIN §5): claiming deliveries for a worker, finishing them,
//! and the administrators' view of undelivered and in-doubt ones.

use super::*;

impl App {
    /// Claims the deliveries due now (leased for [`LEASE`]) with what to send. Claim just
    /// before sending (the worker claims one at a time): a delivery whose lease runs out
    /// while `sending` was in flight when its worker stopped, and is marked uncertain by the
    /// next claim rather than sent again.
    pub async fn claim_deliveries(&self, limit: u64) -> Result<Vec<Outgoing>> {
        let now = self.now();
        let tx = self.store.write().await?;
        let doubtful = store::mark_uncertain(&*tx, now, 500).await?;
        let claimed = store::claim_deliveries(&*tx, now, now + LEASE, limit).await?;
        // A customer's "please confirm" and survey mails carry a signed link (DOMAIN §8),
        // issued with the attempt that sends it.
        // A customer's mail about a service report names its version: its PDF is attached
        // when the message is built, and a "please sign" mail's link signs that version.
        let mut links = HashMap::new();
        let mut reports = HashMap::new();
        for d in claimed.iter().filter(|d| d.channel == ChannelKind::Email) {
            let Some(contact) = d.contact_id else { continue };
            let Some(n) = store::notice_by_id(&*tx, d.notice_id).await? else { continue };
            let report = store::report_of_notice(&*tx, n.id).await?;
            if let Some(r) = report {
                reports.insert(d.id, r);
            }
            let purpose = match n.kind {
                NoticeKind::Resolved => LinkPurpose::Closure,
                NoticeKind::SurveyRequest => LinkPurpose::Survey,
                NoticeKind::QuoteToApprove => LinkPurpose::Quote,
                NoticeKind::ReportToSign if report.is_some() => LinkPurpose::Report,
                _ => continue,
            };
            links.insert(d.id, self.issue_link(&*tx, n.ticket_id, contact, purpose, report, d.id).await?);
        }
        tx.commit().await?;
        for d in &doubtful {
            tracing::warn!(
                delivery = d.id,
                notice = d.notice_id,
                channel = %d.channel,
                target = %d.target,
                "a worker stopped while sending this delivery; it is in doubt and waits for an administrator"
            );
        }
        let conn = self.store.read();
        let targets = if claimed.iter().any(|d| d.channel != ChannelKind::Email) {
            store::targets(conn).await?
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(claimed.len());
        for d in claimed {
            let Some(notice) = store::notice_by_id(conn, d.notice_id).await? else { continue };
            let target = if d.channel == ChannelKind::Email {
                None
            } else {
                targets.iter().find(|t| t.name == d.target).cloned()
            };
            let link = links.remove(&d.id);
            let report_id = reports.remove(&d.id);
            out.push(Outgoing { delivery: d, notice, target, link, report_id });
        }
        Ok(out)
    }

    /// Records how an attempt by `worker` went: sent; failed and retried later; or dead
    /// (permanent failure, or the last retry). Each attempt is a line in the delivery's log.
    pub async fn finish_delivery(
        &self,
        worker: &str,
        d: &Delivery,
        outcome: std::result::Result<String, (bool, String)>,
    ) -> Result<()> {
        let now = self.now();
        let tx = self.store.write().await?;
        let (recorded, result) = match outcome {
            Ok(receipt) => {
                (store::finish_delivery(&*tx, d, DeliveryState::Sent, &receipt, None, worker, now).await?, "sent")
            }
            Err((retryable, error)) if retryable && d.attempts < notice::MAX_ATTEMPTS => {
                let at = now + notice::backoff(d.attempts);
                (store::finish_delivery(&*tx, d, DeliveryState::Pending, &error, Some(at), worker, now).await?, "retry")
            }
            Err((_, error)) => {
                (store::finish_delivery(&*tx, d, DeliveryState::Dead, &error, None, worker, now).await?, "dead")
            }
        };
        tx.commit().await?;
        metrics::counter!("aftersales_delivery_attempts_total", "channel" => d.channel.code(), "result" => result)
            .increment(1);
        if !recorded {
            tracing::warn!(delivery = d.id, "the attempt ended after its lease; the delivery stays in doubt");
        }
        Ok(())
    }

    // ----- people -----

    /// The deliveries of a notice (staff), or of every notice in `state` (administrators).
    pub async fn deliveries(
        &self,
        actor: &Actor,
        notice: Option<Id>,
        state: Option<DeliveryState>,
    ) -> Result<Vec<Delivery>> {
        if notice.is_none() {
            actor.require(Action::ManageServicePolicy)?;
        } else {
            actor.require(Action::ReadServicePolicy)?;
        }
        Ok(store::deliveries(self.store.read(), notice, state, 500).await?)
    }

    /// One delivery with its log (administrators).
    pub async fn delivery(&self, actor: &Actor, id: Id) -> Result<Delivery> {
        actor.require(Action::ManageServicePolicy)?;
        store::delivery_by_id(self.store.read(), id).await?.ok_or_else(|| AppError::not_found("delivery", id))
    }

    /// An administrator puts a dead or in-doubt delivery back in the queue.
    pub async fn retry_delivery(&self, actor: &Actor, id: Id) -> Result<Delivery> {
        actor.require(Action::ManageServicePolicy)?;
        let tx = self.store.write().await?;
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        if !store::requeue_delivery(&*tx, id, &actor.user.username, self.now()).await? {
            return Err(DomainError::from(Conflict::NotRetryable { state: d.state }).into());
        }
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        tx.commit().await?;
        Ok(d)
    }

    /// An administrator records that an in-doubt delivery did arrive (they checked the
    /// mailbox or the robot's group), so it is not sent twice.
    pub async fn confirm_delivery(&self, actor: &Actor, id: Id, note: &str) -> Result<Delivery> {
        actor.require(Action::ManageServicePolicy)?;
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(AppError::invalid("note", Reason::TooLong { max: 500 }));
        }
        let tx = self.store.write().await?;
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        if !store::confirm_delivery(&*tx, id, &actor.user.username, note, self.now()).await? {
            return Err(DomainError::from(Conflict::NotUncertain { state: d.state }).into());
        }
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        tx.commit().await?;
        Ok(d)
    }

    /// The notices these deliveries belong to, by notice id (administrators; read only).
    pub async fn delivery_contexts(&self, actor: &Actor, notice_ids: &[Id]) -> Result<HashMap<Id, DeliveryContext>> {
        actor.require(Action::ManageServicePolicy)?;
        let conn = self.store.read();
        let mut ids = notice_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut notices = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(n) = store::notice_by_id(conn, id).await? {
                notices.push(n);
            }
        }
        let mut ticket_ids: Vec<Id> = notices.iter().map(|n| n.ticket_id).collect();
        ticket_ids.sort_unstable();
        ticket_ids.dedup();
        let numbers: HashMap<Id, String> =
            tickets::by_ids(conn, &ticket_ids).await?.into_iter().map(|t| (t.id, t.number.to_string())).collect();
        Ok(notices
            .into_iter()
            .map(|n| {
                let c = DeliveryContext {
                    notice_id: n.id,
                    kind: n.kind,
                    ticket_id: n.ticket_id,
                    ticket_number: numbers.get(&n.ticket_id).cloned().unwrap_or_default(),
                    subject_zh: n.subject_zh,
                    subject_en: n.subject_en,
                };
                (n.id, c)
            })
            .collect())
    }
}
