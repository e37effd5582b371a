//! Qualified engineers (seed 003): administrators and supervisors keep each engineer's
//! qualifications and training records; dispatch reads them (`App::dispatch_suggestion`).

use aftersales_domain::error::Reason;
use aftersales_domain::permission::Action;
use aftersales_domain::qualification::{Qualification, QualificationInput, TrainingInput, TrainingRecord};
use aftersales_domain::user::User;
use aftersales_domain::{Id, Timestamp};
use aftersales_storage::{Conn, qualifications as store, users};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, Result};

/// An engineer's qualifications and training, as the administrators' page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineerRecord {
    pub user_id: Id,
    pub display_name: String,
    pub qualifications: Vec<QualificationView>,
    pub training: Vec<TrainingRecord>,
}

/// A qualification and whether it is still valid today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualificationView {
    #[serde(flatten)]
    pub qualification: Qualification,
    pub valid: bool,
}

/// An engineer (a user of either line) by id, or the field's problem.
async fn engineer<C: Conn>(conn: &C, id: Id) -> Result<User> {
    match users::user_by_id(conn, id).await? {
        Some(u) if u.role.line().is_some() => Ok(u),
        Some(_) => Err(AppError::invalid(
            "user_id",
            Reason::Mismatch { detail_en: "is not an engineer", detail_zh: "不是工程师" },
        )),
        None => Err(AppError::not_found("user", id)),
    }
}

impl App {
    /// The service's civil date today (qualifications expire by date).
    pub(crate) fn today(&self) -> jiff::civil::Date {
        self.now().to_zoned(self.settings.time_zone.clone()).date()
    }

    fn record_of(&self, u: User, qs: Vec<Qualification>, training: Vec<TrainingRecord>) -> EngineerRecord {
        let today = self.today();
        EngineerRecord {
            user_id: u.id,
            display_name: u.display_name,
            qualifications: qs
                .into_iter()
                .map(|q| QualificationView { valid: q.valid_on(today), qualification: q })
                .collect(),
            training,
        }
    }

    /// Every engineer with their qualifications and training (staff who read users).
    pub async fn engineer_records(&self, actor: &Actor) -> Result<Vec<EngineerRecord>> {
        actor.require_staff(Action::ReadUsers)?;
        let conn = self.store.read();
        let engineers: Vec<User> = users::users(conn, &engineer_roles(), None, None, 1000, 0).await?;
        let ids: Vec<Id> = engineers.iter().map(|u| u.id).collect();
        let all = store::of_users(conn, &ids).await?;
        let mut out = Vec::new();
        for u in engineers {
            let qs = all.iter().filter(|q| q.user_id == u.id).cloned().collect();
            let training = store::training_of(conn, u.id).await?;
            out.push(self.record_of(u, qs, training));
        }
        Ok(out)
    }

    /// One engineer's qualifications and training (staff who read users).
    pub async fn engineer_record(&self, actor: &Actor, user: Id) -> Result<EngineerRecord> {
        actor.require_staff(Action::ReadUsers)?;
        let conn = self.store.read();
        let u = engineer(conn, user).await?;
        let qs = store::of_users(conn, &[u.id]).await?;
        let training = store::training_of(conn, u.id).await?;
        Ok(self.record_of(u, qs, training))
    }

    /// Records a qualification of an engineer (administrators and supervisors).
    pub async fn add_qualification(
        &self,
        actor: &Actor,
        user: Id,
        input: &QualificationInput,
    ) -> Result<Qualification> {
        actor.require(Action::ManageQualifications)?;
        let i = input.check()?;
        let tx = self.store.write().await?;
        let u = engineer(&*tx, user).await?;
        let mut q = Qualification {
            id: 0,
            user_id: u.id,
            scope: i.scope,
            certificate: i.certificate,
            certificate_no: i.certificate_no,
            expires_on: i.expires_on,
            created_at: self.now(),
        };
        q.id = store::insert(&*tx, &q).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// Withdraws a qualification (administrators and supervisors).
    pub async fn remove_qualification(&self, actor: &Actor, id: Id) -> Result<()> {
        actor.require(Action::ManageQualifications)?;
        let tx = self.store.write().await?;
        if !store::delete(&*tx, id).await? {
            return Err(AppError::not_found("qualification", id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a training an engineer took (administrators and supervisors).
    pub async fn add_training(&self, actor: &Actor, user: Id, input: &TrainingInput) -> Result<TrainingRecord> {
        actor.require(Action::ManageQualifications)?;
        let (course, taken_on, outcome) = input.check(self.today())?;
        let tx = self.store.write().await?;
        let u = engineer(&*tx, user).await?;
        let now: Timestamp = self.now();
        let id = store::insert_training(&*tx, u.id, &course, taken_on, outcome, now).await?;
        tx.commit().await?;
        Ok(TrainingRecord { id, user_id: u.id, course, taken_on, outcome, created_at: now })
    }
}

/// The roles of engineers (either line).
pub(crate) fn engineer_roles() -> Vec<aftersales_domain::role::Role> {
    aftersales_domain::role::Role::ALL.iter().copied().filter(|r| r.line().is_some()).collect()
}
