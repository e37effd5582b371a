//! Jobs of any kind about any subject (issue 12): until now every job was a notice check
//! on a ticket (`jobs.kind` named the check, `jobs.ticket_id` was required). Afterwards
//! `kind` names the kind of background work (the runner that takes it), `subject` what it
//! is about (`ticket:42`, `store`, …), `data` the job's own arguments, and `ticket_id` is
//! kept for the jobs of a ticket (a ticket's pending jobs are read by it) and empty for the
//! others. Existing rows are notice checks: their check moves to `data`, their kind becomes
//! `notice_check`, their subject their ticket.
//!
//! The identifiers below are this migration's own and frozen: renaming a column later in
//! `storage::schema` does not rewrite what this step did.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Id,
    Key,
    Kind,
    TicketId,
    Subject,
    Data,
    DueAt,
    State,
    Attempts,
    LeaseUntil,
    LockedBy,
    LastError,
    CreatedAt,
    UpdatedAt,
}

/// The table as it was rebuilt on SQLite, which cannot drop a NOT NULL in place.
#[derive(DeriveIden, Clone, Copy)]
enum JobsNew {
    Table,
}

pub(super) struct M0009JobSubjects;

impl MigrationName for M0009JobSubjects {
    fn name(&self) -> &str {
        "m0009_job_subjects"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009JobSubjects {
    /// One transaction on SQLite too: the table is rebuilt in several statements.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            m.alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(string_len(Jobs::Subject, 100).default(""))
                    .add_column(text_null(Jobs::Data))
                    .to_owned(),
            )
            .await?;
            db.execute_unprepared("ALTER TABLE jobs ALTER COLUMN ticket_id DROP NOT NULL").await?;
            db.execute_unprepared("DROP INDEX ix_jobs_pending").await?;
        } else {
            m.create_table(
                Table::create()
                    .table(JobsNew::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(string_len_uniq(Jobs::Key, 200))
                    .col(string_len(Jobs::Kind, 32))
                    .col(big_integer_null(Jobs::TicketId))
                    .col(string_len(Jobs::Subject, 100).default("").to_owned())
                    .col(text_null(Jobs::Data))
                    .col(big_integer(Jobs::DueAt))
                    .col(string_len(Jobs::State, 16))
                    .col(integer(Jobs::Attempts).default(0).to_owned())
                    .col(big_integer_null(Jobs::LeaseUntil))
                    .col(string_len_null(Jobs::LockedBy, 64))
                    .col(text_null(Jobs::LastError))
                    .col(big_integer(Jobs::CreatedAt))
                    .col(big_integer(Jobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
            db.execute_unprepared(
                "INSERT INTO jobs_new (id, key, kind, ticket_id, due_at, state, attempts, lease_until, locked_by, \
                 last_error, created_at, updated_at) SELECT id, key, kind, ticket_id, due_at, state, attempts, \
                 lease_until, locked_by, last_error, created_at, updated_at FROM jobs",
            )
            .await?;
            // Its indexes go with it; those still wanted are made again below.
            m.drop_table(Table::drop().table(Jobs::Table).to_owned()).await?;
            m.rename_table(Table::rename().table(JobsNew::Table, Jobs::Table).to_owned()).await?;
            db.execute_unprepared("CREATE INDEX ix_jobs_running ON jobs (lease_until) WHERE state = 'running'").await?;
            // A full index on SQLite (see m0004): a state change does not touch it.
            db.execute_unprepared("CREATE INDEX ix_jobs_ticket_all ON jobs (ticket_id)").await?;
        }
        db.execute_unprepared(
            "UPDATE jobs SET data = kind, kind = 'notice_check', subject = 'ticket:' || CAST(ticket_id AS TEXT)",
        )
        .await?;
        // Each kind takes its own due jobs: by kind, then due time, only the pending ones.
        db.execute_unprepared("CREATE INDEX ix_jobs_due ON jobs (kind, due_at) WHERE state = 'pending'").await?;
        // The jobs that failed for good, newest first, for an administrator.
        db.execute_unprepared("CREATE INDEX ix_jobs_dead ON jobs (updated_at) WHERE state = 'dead'").await?;
        Ok(())
    }
}
