//! Robot and webhook targets and the notice routes an administrator changed.

use aftersales_domain::Timestamp;
use aftersales_domain::notice::{ChannelKind, Route};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{OnConflict, Order, Query};

use crate::conv::{get, get_code, ms};
use crate::schema::{NoticeRoutes, NotifyTargets};
use crate::{Result, StorageError};

/// A robot or webhook an administrator configured (the secret is stored, never listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub secret: Option<String>,
}

pub async fn targets<C: ConnectionTrait>(conn: &C) -> Result<Vec<TargetRow>> {
    let stmt = Query::select()
        .columns([NotifyTargets::Name, NotifyTargets::Kind, NotifyTargets::Url, NotifyTargets::Secret])
        .from(NotifyTargets::Table)
        .order_by(NotifyTargets::Name, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(TargetRow {
                name: get(r, "name")?,
                kind: get_code(r, "kind", ChannelKind::from_code)?,
                url: get(r, "url")?,
                secret: get(r, "secret")?,
            })
        })
        .collect()
}

pub async fn put_target<C: ConnectionTrait>(conn: &C, t: &TargetRow, now: Timestamp) -> Result<()> {
    let stmt = Query::insert()
        .into_table(NotifyTargets::Table)
        .columns([
            NotifyTargets::Name,
            NotifyTargets::Kind,
            NotifyTargets::Url,
            NotifyTargets::Secret,
            NotifyTargets::UpdatedAt,
        ])
        .values_panic([
            t.name.clone().into(),
            t.kind.code().into(),
            t.url.clone().into(),
            t.secret.clone().into(),
            ms(now).into(),
        ])
        .on_conflict(
            OnConflict::column(NotifyTargets::Name)
                .update_columns([
                    NotifyTargets::Kind,
                    NotifyTargets::Url,
                    NotifyTargets::Secret,
                    NotifyTargets::UpdatedAt,
                ])
                .to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Routes an administrator changed (the rest are the defaults).
pub async fn routes<C: ConnectionTrait>(conn: &C) -> Result<Vec<Route>> {
    let stmt = Query::select().column(NoticeRoutes::Route).from(NoticeRoutes::Table).to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str(&get::<String>(r, "route")?).map_err(|e| StorageError::Corrupt(format!("route: {e}")))
        })
        .collect()
}

pub async fn put_route<C: ConnectionTrait>(conn: &C, route: &Route) -> Result<()> {
    let json = serde_json::to_string(route).map_err(|e| StorageError::Corrupt(format!("route: {e}")))?;
    let stmt = Query::insert()
        .into_table(NoticeRoutes::Table)
        .columns([NoticeRoutes::Kind, NoticeRoutes::Route])
        .values_panic([route.kind.code().into(), json.into()])
        .on_conflict(OnConflict::column(NoticeRoutes::Kind).update_column(NoticeRoutes::Route).to_owned())
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}
