//! Browser sessions and sign-in throttling.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

/// Browser sign-in (issue 5): sessions (only the SHA-256 of the cookie value is stored,
/// like API tokens), failed attempts for throttling, and each user's remembered language.
pub struct M0005Sessions;

impl MigrationName for M0005Sessions {
    fn name(&self) -> &str {
        "m0005_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005Sessions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(big_pk_auto(Sessions::Id))
                .col(string_len_uniq(Sessions::TokenHash, 64))
                .col(big_integer(Sessions::UserId))
                .col(string_len(Sessions::CsrfToken, 64))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::LastSeenAt))
                .col(big_integer(Sessions::ExpiresAt))
                .col(text_null(Sessions::UserAgent))
                .col(string_null(Sessions::Address))
                .foreign_key(&mut fk(Sessions::Table, Sessions::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(big_pk_auto(LoginFailures::Id))
                .col(string_len(LoginFailures::Scope, 16))
                .col(string_len(LoginFailures::Subject, 200))
                .col(big_integer(LoginFailures::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_failures")
                .table(LoginFailures::Table)
                .col(LoginFailures::Scope)
                .col(LoginFailures::Subject)
                .col(LoginFailures::At)
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(string_len_null(Users::Lang, 8)).to_owned())
            .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Lang,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    UserAgent,
    Address,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Scope,
    Subject,
    At,
}
