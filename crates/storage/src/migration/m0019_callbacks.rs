//! Callbacks and surveys (issue 15, DOMAIN §6): the callbacks the daily selection chose (one
//! per ticket closure, with its reasons and due time), the call attempts on them, the
//! structured survey (one per ticket resolution round, so reports aggregate it in SQL), and
//! praise and complaints per engineer with a complaint's improvement action.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub struct M0019Callbacks;

impl MigrationName for M0019Callbacks {
    fn name(&self) -> &str {
        "m0019_callbacks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0019Callbacks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Callbacks::Table)
                .col(big_pk_auto(Callbacks::Id))
                .col(big_integer(Callbacks::TicketId))
                .col(big_integer(Callbacks::ClosedAt))
                // The service day (YYYY-MM-DD) whose selection chose it.
                .col(string_len(Callbacks::Day, 10))
                // Reason codes, comma separated (`domain::callback::reasons_code`).
                .col(string_len(Callbacks::Reasons, 100))
                .col(big_integer_null(Callbacks::SampledFor))
                .col(big_integer(Callbacks::DueAt))
                .col(string_len(Callbacks::Status, 16))
                .col(big_integer_null(Callbacks::NextCallAt))
                .col(integer(Callbacks::Attempts).default(0).to_owned())
                .col(big_integer_null(Callbacks::CompletedAt))
                .col(big_integer_null(Callbacks::CompletedBy))
                .col(big_integer(Callbacks::CreatedAt))
                .col(big_integer(Callbacks::Version))
                .foreign_key(&mut fk(Callbacks::Table, Callbacks::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        // One callback per closure: a rerun of the selection adds nothing.
        m.create_index(
            Index::create()
                .name("ux_callbacks_closure")
                .table(Callbacks::Table)
                .col(Callbacks::TicketId)
                .col(Callbacks::ClosedAt)
                .unique()
                .to_owned(),
        )
        .await?;
        // The worklist: open callbacks by due time.
        m.create_index(
            Index::create()
                .name("ix_callbacks_due")
                .table(Callbacks::Table)
                .col(Callbacks::Status)
                .col(Callbacks::DueAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CallbackAttempts::Table)
                .col(big_pk_auto(CallbackAttempts::Id))
                .col(big_integer(CallbackAttempts::CallbackId))
                .col(string_len(CallbackAttempts::Outcome, 16))
                .col(text_null(CallbackAttempts::Note))
                .col(big_integer_null(CallbackAttempts::CallBackAt))
                .col(big_integer(CallbackAttempts::ById))
                .col(big_integer(CallbackAttempts::At))
                .foreign_key(&mut fk(
                    CallbackAttempts::Table,
                    CallbackAttempts::CallbackId,
                    Callbacks::Table,
                    Callbacks::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_callback_attempts_callback")
                .table(CallbackAttempts::Table)
                .col(CallbackAttempts::CallbackId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Surveys::Table)
                .col(big_pk_auto(Surveys::Id))
                .col(big_integer(Surveys::TicketId))
                .col(integer(Surveys::Round))
                .col(string_len(Surveys::Result, 16))
                .col(boolean_null(Surveys::Solved))
                .col(boolean_null(Surveys::SpeedOk))
                .col(text_null(Surveys::Suggestions))
                .col(text_null(Surveys::Note))
                .col(string_len(Surveys::Channel, 16))
                .col(big_integer_null(Surveys::CallbackId))
                .col(big_integer(Surveys::RecordedBy))
                .col(big_integer(Surveys::RecordedAt))
                .foreign_key(&mut fk(Surveys::Table, Surveys::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        // One survey per resolution round: a second answer is refused, not added.
        m.create_index(
            Index::create()
                .name("ux_surveys_round")
                .table(Surveys::Table)
                .col(Surveys::TicketId)
                .col(Surveys::Round)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_surveys_recorded").table(Surveys::Table).col(Surveys::RecordedAt).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EngineerFeedback::Table)
                .col(big_pk_auto(EngineerFeedback::Id))
                .col(big_integer(EngineerFeedback::TicketId))
                .col(big_integer(EngineerFeedback::EngineerId))
                .col(string_len(EngineerFeedback::Kind, 16))
                .col(text_null(EngineerFeedback::Note))
                .col(big_integer_null(EngineerFeedback::CallbackId))
                .col(big_integer(EngineerFeedback::RecordedBy))
                .col(big_integer(EngineerFeedback::RecordedAt))
                .col(text_null(EngineerFeedback::Action))
                .col(big_integer_null(EngineerFeedback::ActionBy))
                .col(big_integer_null(EngineerFeedback::ReportedBackAt))
                .foreign_key(&mut fk(EngineerFeedback::Table, EngineerFeedback::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(EngineerFeedback::Table, EngineerFeedback::EngineerId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        // The weekly per-engineer table counts by period.
        m.create_index(
            Index::create()
                .name("ix_engineer_feedback_recorded")
                .table(EngineerFeedback::Table)
                .col(EngineerFeedback::RecordedAt)
                .col(EngineerFeedback::EngineerId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_engineer_feedback_ticket")
                .table(EngineerFeedback::Table)
                .col(EngineerFeedback::TicketId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones.
#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Callbacks {
    Table,
    Id,
    TicketId,
    ClosedAt,
    Day,
    Reasons,
    SampledFor,
    DueAt,
    Status,
    NextCallAt,
    Attempts,
    CompletedAt,
    CompletedBy,
    CreatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum CallbackAttempts {
    Table,
    Id,
    CallbackId,
    Outcome,
    Note,
    CallBackAt,
    ById,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Surveys {
    Table,
    Id,
    TicketId,
    Round,
    Result,
    Solved,
    SpeedOk,
    Suggestions,
    Note,
    Channel,
    CallbackId,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EngineerFeedback {
    Table,
    Id,
    TicketId,
    EngineerId,
    Kind,
    Note,
    CallbackId,
    RecordedBy,
    RecordedAt,
    Action,
    ActionBy,
    ReportedBackAt,
}
