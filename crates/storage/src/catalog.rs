//! Handling groups, categories and the grading scheme.

use aftersales_domain::Id;
use aftersales_domain::catalog::{Category, CategoryFamily, Group};
use aftersales_domain::grading::{Counting, GradingScheme, Level};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code};
use crate::schema::{Categories, GradingLevels, HandlingGroups};
use crate::{Result, StorageError, insert_fields};

fn group(r: &QueryResult) -> Result<Group> {
    Ok(Group { id: get(r, "id")?, code: get(r, "code")?, name_zh: get(r, "name_zh")?, name_en: get(r, "name_en")? })
}

/// A group's names, which an edit replaces (its code is fixed).
fn group_fields(g: &Group) -> Vec<(HandlingGroups, Expr)> {
    vec![(HandlingGroups::NameZh, g.name_zh.clone().into()), (HandlingGroups::NameEn, g.name_en.clone().into())]
}

pub async fn insert_group<C: ConnectionTrait>(conn: &C, g: &Group) -> Result<Id> {
    let mut fields = group_fields(g);
    fields.push((HandlingGroups::Code, g.code.clone().into()));
    insert_fields(conn, HandlingGroups::Table, fields).await
}

pub async fn update_group<C: ConnectionTrait>(conn: &C, g: &Group) -> Result<()> {
    let stmt = Query::update()
        .table(HandlingGroups::Table)
        .values(group_fields(g))
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

/// A category's fields that an edit replaces (its family and code are fixed).
fn category_fields(c: &Category) -> Vec<(Categories, Expr)> {
    vec![
        (Categories::NameZh, c.name_zh.clone().into()),
        (Categories::NameEn, c.name_en.clone().into()),
        (Categories::GroupId, c.group_id.into()),
        (Categories::Active, c.active.into()),
    ]
}

pub async fn insert_category<C: ConnectionTrait>(conn: &C, c: &Category) -> Result<Id> {
    let mut fields = category_fields(c);
    fields.extend([(Categories::Family, c.family.code().into()), (Categories::Code, c.code.clone().into())]);
    insert_fields(conn, Categories::Table, fields).await
}

pub async fn update_category<C: ConnectionTrait>(conn: &C, c: &Category) -> Result<()> {
    let stmt = Query::update()
        .table(Categories::Table)
        .values(category_fields(c))
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

/// The stored columns of a grading level, read and written in this order.
const LEVEL_COLS: [GradingLevels; 10] = [
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
];

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
        .columns(LEVEL_COLS)
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
            .columns(LEVEL_COLS)
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
