//! Groups, categories and the grading scheme: data an administrator edits (DOMAIN §2–§3).

use aftersales_domain::catalog::{Category, CategoryFamily, Group};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::grading::GradingScheme;
use aftersales_domain::permission::Action;
use aftersales_domain::ticket::Status;
use aftersales_domain::{DomainError, Id};
use aftersales_storage::tickets::TicketFilter;
use aftersales_storage::{Conn, StorageError, catalog, policy, tickets};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, Result};

/// Input for a new or edited category.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    pub family: Option<CategoryFamily>,
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub group_id: Option<Id>,
    pub active: Option<bool>,
}

/// Input for a new group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
}

fn required(problems: &mut Vec<(&'static str, Reason)>, field: &'static str, v: Option<&str>, max: usize) -> String {
    aftersales_domain::error::text(problems, field, v, max, true).unwrap_or_default()
}

impl App {
    pub async fn groups(&self, actor: &Actor) -> Result<Vec<Group>> {
        actor.require(Action::ReadTicket)?;
        Ok(catalog::groups(self.store.read()).await?)
    }

    pub async fn create_group(&self, actor: &Actor, input: &GroupInput) -> Result<Group> {
        actor.require(Action::ManageCatalog)?;
        let mut p = Vec::new();
        let code = required(&mut p, "code", input.code.as_deref(), 32);
        let name_zh = required(&mut p, "name_zh", input.name_zh.as_deref(), 50);
        let name_en = required(&mut p, "name_en", input.name_en.as_deref(), 50);
        if !p.is_empty() {
            return Err(DomainError::Invalid(p).into());
        }
        let mut g = Group { id: 0, code, name_zh, name_en };
        let tx = self.store.write().await?;
        g.id = catalog::insert_group(&*tx, &g).await.map_err(|e| duplicate_as(e, "code"))?;
        tx.commit().await?;
        Ok(g)
    }

    /// Renames a group; its code stays, since categories and engineers refer to the group.
    pub async fn update_group(&self, actor: &Actor, id: Id, input: &GroupInput) -> Result<Group> {
        actor.require(Action::ManageCatalog)?;
        let tx = self.store.write().await?;
        let mut g = catalog::groups(&*tx)
            .await?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| AppError::not_found("group", id))?;
        let mut p = Vec::new();
        if input.code.as_deref().is_some_and(|c| c.trim() != g.code) {
            p.push(("code", Reason::Mismatch { detail_en: "cannot change", detail_zh: "处理组编码不可修改" }));
        }
        if let Some(n) = &input.name_zh {
            g.name_zh = required(&mut p, "name_zh", Some(n), 50);
        }
        if let Some(n) = &input.name_en {
            g.name_en = required(&mut p, "name_en", Some(n), 50);
        }
        if !p.is_empty() {
            return Err(DomainError::Invalid(p).into());
        }
        catalog::update_group(&*tx, &g).await?;
        tx.commit().await?;
        Ok(g)
    }

    pub async fn categories(&self, actor: &Actor) -> Result<Vec<Category>> {
        actor.require(Action::ReadTicket)?;
        Ok(catalog::categories(self.store.read()).await?)
    }

    pub async fn create_category(&self, actor: &Actor, input: &CategoryInput) -> Result<Category> {
        actor.require(Action::ManageCatalog)?;
        let mut p = Vec::new();
        if input.family.is_none() {
            p.push(("family", Reason::Missing));
        }
        let code = required(&mut p, "code", input.code.as_deref(), 32);
        let name_zh = required(&mut p, "name_zh", input.name_zh.as_deref(), 50);
        let name_en = required(&mut p, "name_en", input.name_en.as_deref(), 50);
        let tx = self.store.write().await?;
        if let Some(g) = input.group_id
            && !catalog::groups(&*tx).await?.iter().any(|x| x.id == g)
        {
            p.push(("group_id", Reason::Unknown));
        }
        if !p.is_empty() {
            return Err(DomainError::Invalid(p).into());
        }
        let mut c = Category {
            id: 0,
            family: input.family.unwrap_or(CategoryFamily::Handling),
            code,
            name_zh,
            name_en,
            group_id: input.group_id,
            active: input.active.unwrap_or(true),
        };
        c.id = catalog::insert_category(&*tx, &c).await.map_err(|e| duplicate_as(e, "code"))?;
        tx.commit().await?;
        Ok(c)
    }

    /// Edits a category's names, its handling group (the dispatch mapping) or whether it is offered.
    pub async fn update_category(&self, actor: &Actor, id: Id, input: &CategoryInput) -> Result<Category> {
        actor.require(Action::ManageCatalog)?;
        let tx = self.store.write().await?;
        let mut c = catalog::category_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("category", id))?;
        let mut p = Vec::new();
        if input.code.is_some() || input.family.is_some() {
            p.push((
                "code",
                Reason::Mismatch {
                    detail_en: "code and family cannot change",
                    detail_zh: "分类编码与所属列表不可修改",
                },
            ));
        }
        if let Some(n) = &input.name_zh {
            c.name_zh = required(&mut p, "name_zh", Some(n), 50);
        }
        if let Some(n) = &input.name_en {
            c.name_en = required(&mut p, "name_en", Some(n), 50);
        }
        if let Some(g) = input.group_id {
            if !catalog::groups(&*tx).await?.iter().any(|x| x.id == g) {
                p.push(("group_id", Reason::Unknown));
            }
            c.group_id = Some(g);
        }
        if let Some(a) = input.active {
            c.active = a;
        }
        if !p.is_empty() {
            return Err(DomainError::Invalid(p).into());
        }
        catalog::update_category(&*tx, &c).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The grading scheme in force: its respond and resolve columns read from the current
    /// service policy version, the one source of deadlines (DOMAIN §3).
    pub async fn grading_scheme(&self, actor: &Actor) -> Result<GradingScheme> {
        actor.require(Action::ReadTicket)?;
        scheme_in_force(self.store.read()).await
    }

    /// Replaces the grading scheme (e.g. seed 002's three levels). A level still used by an
    /// open ticket cannot be removed: regrade those tickets first.
    pub async fn replace_grading_scheme(&self, actor: &Actor, scheme: &GradingScheme) -> Result<GradingScheme> {
        Ok(self.save_grading_scheme(actor, scheme, None).await?.scheme)
    }

    /// [`App::replace_grading_scheme`] for an edit based on the scheme whose
    /// [`GradingScheme::revision`] is `based_on` (an edit form posts the revision it showed):
    /// when the scheme changed meanwhile nothing is stored and the edit is refused
    /// (`stale_grading_scheme`, 409). `None` checks nothing. Says which service policy
    /// version the scheme's times went into, if a new one was needed.
    pub async fn save_grading_scheme(
        &self,
        actor: &Actor,
        scheme: &GradingScheme,
        based_on: Option<i64>,
    ) -> Result<GradingSaved> {
        actor.require(Action::ManageCatalog)?;
        scheme.validate()?;
        let tx = self.store.write().await?;
        // The scheme's columns feed a new policy version: one writer at a time.
        policy::lock_policy(&*tx).await?;
        let current = scheme_in_force(&*tx).await?;
        if based_on.is_some_and(|b| b != current.revision()) {
            return Err(DomainError::from(Conflict::StaleGradingScheme).into());
        }
        let open: Vec<Status> = Status::ALL.iter().copied().filter(|s| s.is_open()).collect();
        for removed in current.levels.iter().filter(|l| scheme.level(&l.code).is_none()) {
            let f = TicketFilter {
                statuses: open.clone(),
                priority: Some(removed.code.clone()),
                limit: 1,
                ..TicketFilter::default()
            };
            let (_, n) = tickets::list(&*tx, &f).await?;
            if n > 0 {
                return Err(DomainError::from(Conflict::LevelInUse { level: removed.code.clone(), open: n }).into());
            }
        }
        catalog::replace_grading_scheme(&*tx, scheme).await?;
        // The scheme's respond/resolve columns are the policy's per-level rows: a new
        // policy version carries them (tickets keep the version they were graded under).
        let mut policy_version = None;
        if let Some(current) = policy::current_policy(&*tx).await? {
            let next = current.with_scheme(scheme);
            if next.rules != current.rules {
                policy_version = Some(policy::insert_policy(&*tx, &next, Some(actor.id()), self.now()).await?);
            }
        }
        tx.commit().await?;
        Ok(GradingSaved { scheme: scheme.clone(), policy_version })
    }
}

/// The stored scheme with the deadlines of the current policy version
/// ([`GradingScheme::with_deadlines_of`]).
async fn scheme_in_force<C: Conn>(conn: &C) -> Result<GradingScheme> {
    let scheme = catalog::grading_scheme(conn).await?;
    Ok(match policy::current_policy(conn).await? {
        Some(p) => scheme.with_deadlines_of(&p),
        None => scheme,
    })
}

/// What saving the grading scheme stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradingSaved {
    pub scheme: GradingScheme,
    /// The service policy version inserted with the scheme's respond and resolve times;
    /// `None` when they did not change the policy (no new version).
    pub policy_version: Option<i64>,
}

fn duplicate_as(e: StorageError, field: &'static str) -> AppError {
    match e {
        StorageError::Duplicate(_) => DomainError::field(field, Reason::Duplicate).into(),
        e => e.into(),
    }
}
