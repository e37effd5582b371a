//! Handling groups, categories and the grading scheme.

use aftersales_domain::Id;
use aftersales_domain::catalog::{Category, CategoryFamily, Group};
use aftersales_domain::grading::{Counting, GradingScheme, Level};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code};
use crate::schema::{Categories, GradingLevels, HandlingGroups};
use crate::{Result, StorageError, insert_returning_id};

fn group(r: &QueryResult) -> Result<Group> {
    Ok(Group { id: get(r, "id")?, code: get(r, "code")?, name_zh: get(r, "name_zh")?, name_en: get(r, "name_en")? })
}

pub async fn insert_group<C: ConnectionTrait>(conn: &C, g: &Group) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(HandlingGroups::Table)
        .columns([HandlingGroups::Code, HandlingGroups::NameZh, HandlingGroups::NameEn])
        .values_panic([g.code.clone().into(), g.name_zh.clone().into(), g.name_en.clone().into()])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn update_group<C: ConnectionTrait>(conn: &C, g: &Group) -> Result<()> {
    let stmt = Query::update()
        .table(HandlingGroups::Table)
        .values([
            (HandlingGroups::NameZh, g.name_zh.clone().into()),
            (HandlingGroups::NameEn, g.name_en.clone().into()),
        ])
        .and_where(Expr::col(HandlingGroups::Id).eq(g.id))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn groups<C: ConnectionTrait>(conn: &C) -> Result<Vec<Group>> {
    let stmt = Query::select()
        .columns([HandlingGroups::Id, HandlingGroups::Code, HandlingGroups::NameZh, HandlingGroups::NameEn])
        .from(HandlingGroups::Table)
        .order_by(HandlingGroups::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(group).collect()
}

const CATEGORY_COLS: [Categories; 7] = [
    Categories::Id,
    Categories::Family,
    Categories::Code,
    Categories::NameZh,
    Categories::NameEn,
    Categories::GroupId,
    Categories::Active,
];

fn category(r: &QueryResult) -> Result<Category> {
    Ok(Category {
        id: get(r, "id")?,
        family: get_code(r, "family", CategoryFamily::from_code)?,
        code: get(r, "code")?,
        name_zh: get(r, "name_zh")?,
        name_en: get(r, "name_en")?,
        group_id: get(r, "group_id")?,
        active: get(r, "active")?,
    })
}

pub async fn insert_category<C: ConnectionTrait>(conn: &C, c: &Category) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Categories::Table)
        .columns([
            Categories::Family,
            Categories::Code,
            Categories::NameZh,
            Categories::NameEn,
            Categories::GroupId,
            Categories::Active,
        ])
        .values_panic([
            c.family.code().into(),
            c.code.clone().into(),
            c.name_zh.clone().into(),
            c.name_en.clone().into(),
            c.group_id.into(),
            c.active.into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn update_category<C: ConnectionTrait>(conn: &C, c: &Category) -> Result<()> {
    let stmt = Query::update()
        .table(Categories::Table)
        .values([
            (Categories::NameZh, c.name_zh.clone().into()),
            (Categories::NameEn, c.name_en.clone().into()),
            (Categories::GroupId, c.group_id.into()),
            (Categories::Active, c.active.into()),
        ])
        .and_where(Expr::col(Categories::Id).eq(c.id))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn categories<C: ConnectionTrait>(conn: &C) -> Result<Vec<Category>> {
    let stmt =
        Query::select().columns(CATEGORY_COLS).from(Categories::Table).order_by(Categories::Id, Order::Asc).to_owned();
    conn.query_all(&stmt).await?.iter().map(category).collect()
}

pub async fn category_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Category>> {
    let stmt = Query::select()
        .columns(CATEGORY_COLS)
        .from(Categories::Table)
        .and_where(Expr::col(Categories::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(category).transpose()
}

fn level(r: &QueryResult) -> Result<Level> {
    Ok(Level {
        code: get(r, "code")?,
        rank: get(r, "rank")?,
        name_zh: get(r, "name_zh")?,
        name_en: get(r, "name_en")?,
        scope: get(r, "scope")?,
        urgency: get(r, "urgency")?,
        respond_minutes: get(r, "respond_minutes")?,
        resolve_minutes: get(r, "resolve_minutes")?,
        counting: get_code(r, "counting", Counting::from_code)?,
        default_owner: get(r, "default_owner")?,
    })
}

pub async fn grading_scheme<C: ConnectionTrait>(conn: &C) -> Result<GradingScheme> {
    let stmt = Query::select()
        .columns([
            GradingLevels::Code,
            GradingLevels::Rank,
            GradingLevels::NameZh,
            GradingLevels::NameEn,
            GradingLevels::Scope,
            GradingLevels::Urgency,
            GradingLevels::RespondMinutes,
            GradingLevels::ResolveMinutes,
            GradingLevels::Counting,
            GradingLevels::DefaultOwner,
        ])
        .from(GradingLevels::Table)
        .order_by(GradingLevels::Rank, Order::Asc)
        .to_owned();
    let levels = conn.query_all(&stmt).await?.iter().map(level).collect::<Result<_>>()?;
    Ok(GradingScheme { levels })
}

/// Replaces the whole scheme (the caller validated it).
pub async fn replace_grading_scheme<C: ConnectionTrait>(conn: &C, scheme: &GradingScheme) -> Result<()> {
    conn.execute(&Query::delete().from_table(GradingLevels::Table).to_owned()).await?;
    for l in &scheme.levels {
        let stmt = Query::insert()
            .into_table(GradingLevels::Table)
            .columns([
                GradingLevels::Code,
                GradingLevels::Rank,
                GradingLevels::NameZh,
                GradingLevels::NameEn,
                GradingLevels::Scope,
                GradingLevels::Urgency,
                GradingLevels::RespondMinutes,
                GradingLevels::ResolveMinutes,
                GradingLevels::Counting,
                GradingLevels::DefaultOwner,
            ])
            .values_panic([
                l.code.trim().into(),
                l.rank.into(),
                l.name_zh.clone().into(),
                l.name_en.clone().into(),
                l.scope.clone().into(),
                l.urgency.clone().into(),
                l.respond_minutes.into(),
                l.resolve_minutes.into(),
                l.counting.code().into(),
                l.default_owner.clone().into(),
            ])
            .to_owned();
        conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    }
    Ok(())
}
