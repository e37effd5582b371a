//! Table and column names, shared by the migration and the queries so they cannot drift.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Role,
    Email,
    Phone,
    Region,
    GroupId,
    CustomerId,
    ContactId,
    PasswordHash,
    Active,
    CreatedAt,
    /// The remembered UI language ("zh" or "en"; null: not chosen, Chinese).
    Lang,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Name,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CustomerLevels {
    Table,
    Code,
    NameZh,
    NameEn,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Customers {
    Table,
    Id,
    Name,
    ShortName,
    Region,
    Level,
    WindowContactId,
    SpecialistId,
    CreatedAt,
    Calendar,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Contacts {
    Table,
    Id,
    CustomerId,
    Name,
    Phone,
    Email,
    Department,
    CreatedAt,
    /// When the contact left the customer (null: still there); added by m0007.
    LeftAt,
    /// The language of their customer notices ("zh-CN" or "en"; null: Chinese); m0008.
    Lang,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Devices {
    Table,
    Id,
    CustomerId,
    Model,
    Serial,
    Location,
    PurchaseDate,
    WarrantyEnd,
    ConsumableModel,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum HandlingGroups {
    Table,
    Id,
    Code,
    NameZh,
    NameEn,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Categories {
    Table,
    Id,
    Family,
    Code,
    NameZh,
    NameEn,
    GroupId,
    Active,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum GradingLevels {
    Table,
    Code,
    Rank,
    NameZh,
    NameEn,
    Scope,
    Urgency,
    RespondMinutes,
    ResolveMinutes,
    Counting,
    DefaultOwner,
}

#[derive(DeriveIden, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tickets {
    Table,
    Id,
    Number,
    Version,
    CustomerId,
    ContactId,
    ContactName,
    ContactPhone,
    Channel,
    Kind,
    CategoryId,
    DeviceId,
    DeviceModel,
    DeviceSerial,
    FaultCode,
    Description,
    OccurredAt,
    ImpactScope,
    ExpectedResolution,
    ExpectedBy,
    CooperatingDepartments,
    Status,
    WindowConfirmation,
    Priority,
    PriorityRank,
    GradingReason,
    GradingReview,
    GradingDispute,
    GroupId,
    FirstLineId,
    SecondLineId,
    RepeatOf,
    ComplaintAbout,
    SpecialistAttention,
    RegisteredAt,
    RegisteredBy,
    AcceptedAt,
    AcceptedBy,
    DispatchedAt,
    RespondedAt,
    ResolvedAt,
    Resolution,
    ClosedAt,
    ClosureMethod,
    CustomerRefusals,
    ReopenCount,
    CancelReason,
    CancelNote,
    UpdatedAt,
    CustomerLevel,
    Calendar,
    PolicyVersion,
    VisitAt,
    VisitDue,
    SurveyResult,
    SurveyedAt,
    Clocks,
    NextDueAt,
    ClockMisses,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TicketEvents {
    Table,
    Id,
    TicketId,
    At,
    ActorId,
    Action,
    Changes,
    Note,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum WorkLog {
    Table,
    Id,
    TicketId,
    Kind,
    Body,
    AuthorId,
    At,
    /// "internal" or "customer" (DOMAIN §8); m0008.
    Visibility,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PriorityChangeRequests {
    Table,
    Id,
    TicketId,
    FromLevel,
    ToLevel,
    Reason,
    RequestedBy,
    RequestedAt,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionNote,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TicketSequences {
    Table,
    Day,
    LastSeq,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    Fingerprint,
    StatusCode,
    Response,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Calendars {
    Table,
    Name,
    Spec,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum HolidaySets {
    Table,
    Name,
    Data,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ServicePolicies {
    Table,
    Version,
    Policy,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Jobs {
    Table,
    Id,
    Key,
    Kind,
    TicketId,
    /// What the job is about (`ticket:42`, `store`); see `jobs::Subject`.
    Subject,
    /// The job's arguments, as its kind writes them.
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

#[derive(DeriveIden, Clone, Copy)]
pub enum Notices {
    Table,
    Id,
    Key,
    TicketId,
    Kind,
    CreatedAt,
    SubjectZh,
    BodyZh,
    SubjectEn,
    BodyEn,
    /// m0017: the service report version whose PDF the notice's customer e-mail carries.
    ReportId,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum NoticeRecipients {
    Table,
    Id,
    NoticeId,
    UserId,
    Audience,
    AcknowledgedAt,
    Note,
    NotedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Deliveries {
    Table,
    Id,
    NoticeId,
    UserId,
    Channel,
    Target,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    Receipt,
    SentAt,
    CreatedAt,
    /// The customer contact a customer notice is e-mailed to (null: a user or a target); m0008.
    ContactId,
    /// The one language of a customer's e-mail (null: both, as staff get them); m0008.
    Lang,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum DeliveryAttempts {
    Table,
    Id,
    DeliveryId,
    Attempt,
    At,
    Outcome,
    Detail,
    By,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum NotifyTargets {
    Table,
    Name,
    Kind,
    Url,
    Secret,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum NoticeRoutes {
    Table,
    Kind,
    Route,
}

/// Browser sessions of the web console (issue 5).
#[derive(DeriveIden, Clone, Copy)]
pub enum Sessions {
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

/// Failed sign-in attempts, counted for throttling (issue 5).
#[derive(DeriveIden, Clone, Copy)]
pub enum LoginFailures {
    Table,
    Id,
    Scope,
    Subject,
    At,
}

/// Signed links in customer e-mail (DOMAIN §6, §8): only the SHA-256 of the token is kept.
#[derive(DeriveIden, Clone, Copy)]
pub enum CustomerLinks {
    Table,
    Id,
    TokenHash,
    TicketId,
    ContactId,
    Purpose,
    DeliveryId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    /// m0017: the service report version a report link signs.
    ReportId,
}

// Work orders across departments and qualified engineers (issue 13, m0013).

/// Departments that cooperate on tickets; an administrator edits the list.
#[derive(DeriveIden, Clone, Copy)]
pub enum Departments {
    Table,
    Id,
    Code,
    NameZh,
    NameEn,
    Active,
    Position,
}

/// Work orders (协作工单) of tickets for other departments (seed 002).
#[derive(DeriveIden, Clone, Copy)]
pub enum WorkOrders {
    Table,
    Id,
    TicketId,
    Department,
    OwnerId,
    Needed,
    /// Resources as a JSON array of lines.
    Resources,
    Deadline,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

/// Daily progress on a work order.
#[derive(DeriveIden, Clone, Copy)]
pub enum WorkOrderProgress {
    Table,
    Id,
    WorkOrderId,
    AuthorId,
    Body,
    At,
}

/// Engineers' qualifications (seed 003).
#[derive(DeriveIden, Clone, Copy)]
pub enum Qualifications {
    Table,
    Id,
    UserId,
    Scope,
    Certificate,
    CertificateNo,
    ExpiresOn,
    CreatedAt,
}

/// Engineers' training records (seed 003).
#[derive(DeriveIden, Clone, Copy)]
pub enum TrainingRecords {
    Table,
    Id,
    UserId,
    Course,
    TakenOn,
    Outcome,
    CreatedAt,
}

/// Visits of engineers for tickets (issue 13, m0010).
#[derive(DeriveIden, Clone, Copy)]
pub enum Visits {
    Table,
    Id,
    TicketId,
    EngineerId,
    WindowStart,
    WindowEnd,
    PlannedStart,
    DurationMinutes,
    TravelMinutes,
    Address,
    Site,
    Status,
    CheckedInAt,
    CheckInLat,
    CheckInLon,
    CheckInAccuracy,
    CheckedOutAt,
    CheckOutLat,
    CheckOutLon,
    CheckOutAccuracy,
    OnTime,
    ExpectedArrival,
    Delays,
    LateNotifiedAt,
    CancelReason,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

/// Engineers' leave and duty days (issue 13, m0010).
#[derive(DeriveIden, Clone, Copy)]
pub enum EngineerDays {
    Table,
    Id,
    UserId,
    Day,
    Kind,
    Note,
    SetBy,
    SetAt,
}

/// Visit settings an administrator edits, by name (issue 13, m0010).
#[derive(DeriveIden, Clone, Copy)]
pub enum VisitSettings {
    Table,
    Name,
    Value,
}

// Spare parts (issue 13; migration m0011).

#[derive(DeriveIden, Clone, Copy)]
pub enum Parts {
    Table,
    Id,
    Number,
    Name,
    Unit,
    PriceFen,
    /// JSON array of the device models it fits (empty: any).
    Models,
    SerialTracked,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Warehouses {
    Table,
    Id,
    Name,
    Kind,
    OwnerId,
    Active,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Requisitions {
    Table,
    Id,
    TicketId,
    PartId,
    Quantity,
    ValueFen,
    Status,
    EngineerId,
    Note,
    RequestedAt,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    WarehouseId,
    IssuedBy,
    IssuedAt,
    Used,
    Returned,
    FaultyOwed,
    FaultyReturned,
    Version,
}

/// The stock ledger: append-only.
#[derive(DeriveIden, Clone, Copy)]
pub enum StockMovements {
    Table,
    Id,
    PartId,
    WarehouseId,
    Kind,
    Quantity,
    Delta,
    TicketId,
    RequisitionId,
    Serial,
    FaultySerial,
    Reason,
    ById,
    At,
}

/// The stock of a part in a warehouse: the sum of its ledger deltas, kept in the
/// transaction that writes each row (`CHECK (qty >= 0)`).
#[derive(DeriveIden, Clone, Copy)]
pub enum StockBalances {
    Table,
    PartId,
    WarehouseId,
    Qty,
}

// ----- fees (seed 003, migration m0012) -----

/// A ticket's warranty as judged at registration, and its consumables callback date.
#[derive(DeriveIden, Clone, Copy)]
pub enum TicketFees {
    Table,
    TicketId,
    Warranty,
    WarrantyEnd,
    CallbackDueAt,
}

/// Quote revisions of a ticket (lines as JSON: a revision never changes once written).
#[derive(DeriveIden, Clone, Copy)]
pub enum Quotes {
    Table,
    Id,
    TicketId,
    Revision,
    Status,
    Lines,
    Subtotal,
    TaxRateBp,
    Tax,
    Total,
    InternalNote,
    CreatedAt,
    CreatedBy,
    DecidedAt,
    DecidedBy,
    Approval,
    SignedBy,
    RefusalReason,
}

/// Payments and zero-charge records, each with its receipt number.
#[derive(DeriveIden, Clone, Copy)]
pub enum Settlements {
    Table,
    Id,
    TicketId,
    QuoteId,
    ReceiptNo,
    Amount,
    Method,
    Reference,
    FreeReason,
    Note,
    At,
    By,
}

/// The last receipt number of each year.
#[derive(DeriveIden, Clone, Copy)]
pub enum ReceiptSequences {
    Table,
    Year,
    LastSeq,
}

/// Evidence attachments (issue 14): the metadata of a file kept in the blob store.
#[derive(DeriveIden, Clone, Copy)]
pub enum Attachments {
    Table,
    Id,
    TicketId,
    LogId,
    Sha256,
    Size,
    Kind,
    ContentType,
    FileName,
    Visibility,
    Tag,
    UploadedBy,
    UploadedAt,
    Width,
    Height,
    TakenAt,
    GpsLat,
    GpsLon,
    ThumbSha256,
    CustomerSha256,
    CustomerType,
    IdempotencyKey,
    /// Withdrawn (m0018): when, by whom, why; the row and its blob are kept.
    WithdrawnAt,
    WithdrawnBy,
    WithdrawReason,
}

/// The evidence rule of a kind of service (photos before / after needed to resolve).
#[derive(DeriveIden, Clone, Copy)]
pub enum EvidenceRules {
    Table,
    Kind,
    Before,
    After,
    UpdatedAt,
}

/// The service report's versions (issue 14).
#[derive(DeriveIden, Clone, Copy)]
pub enum ServiceReports {
    Table,
    Id,
    TicketId,
    Version,
    Status,
    PhotoIds,
    CreatedAt,
    CreatedBy,
    SignerName,
    Relationship,
    Channel,
    SignedAt,
    RecordedBy,
    RefusalReason,
    PdfSha256,
    PdfSize,
}

/// Report subscriptions (issue 15).
#[derive(DeriveIden, Clone, Copy)]
pub enum ReportSubscriptions {
    Table,
    Id,
    UserId,
    Report,
    Frequency,
    Hour,
    Channel,
    Target,
    Lang,
    Active,
    CreatedAt,
    UpdatedAt,
    NextRunAt,
}

/// One run of a report subscription: its period, its delivery, the file it carried.
#[derive(DeriveIden, Clone, Copy)]
pub enum SubscriptionRuns {
    Table,
    Id,
    SubscriptionId,
    PeriodFrom,
    PeriodTo,
    RunAt,
    State,
    Rows,
    Title,
    Summary,
    FileSha256,
    FileSize,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    Detail,
    CreatedAt,
    SentAt,
}

// Facts for reporting (issue 15; migration m0020).

/// One row per ticket: the measures the reports of DOMAIN §7 aggregate.
#[derive(DeriveIden, Clone, Copy)]
pub enum TicketFacts {
    Table,
    TicketId,
    CustomerId,
    Region,
    CategoryId,
    Priority,
    Kind,
    FirstLineId,
    SecondLineId,
    RegisteredBy,
    DeviceModel,
    FaultCode,
    RegisteredAt,
    AcceptedAt,
    DispatchedAt,
    RespondedAt,
    ResolvedAt,
    ClosedAt,
    ResponseWorkMin,
    ResponseCalMin,
    ResolutionWorkMin,
    ResolutionCalMin,
    RepairWorkMin,
    ClkResponse,
    ClkEngineerContact,
    ClkPlan,
    ClkArrival,
    ClkResolution,
    ClkProgress,
    ClkServiceReport,
    ClkCallback,
    ClkRehandling,
    NResponseTimeout,
    NSecondLine,
    NSameDay,
    NCustomerUnclosed,
    NThreeDays,
    NRepeat,
    SecondLineCalled,
    Survey,
    PartsCostFen,
    DeskLateRegistration,
    DeskIncomplete,
    DeskLateDispatch,
    DeskLateReport,
}

/// The monthly service report's improvement actions, one per month (`YYYY-MM`).
#[derive(DeriveIden, Clone, Copy)]
pub enum ReportImprovements {
    Table,
    Month,
    Body,
    Version,
    AuthorId,
    UpdatedAt,
}

/// Callbacks chosen by the daily selection (issue 15, DOMAIN §6; m0019).
#[derive(DeriveIden, Clone, Copy)]
pub enum Callbacks {
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

/// Call attempts on a callback (m0019).
#[derive(DeriveIden, Clone, Copy)]
pub enum CallbackAttempts {
    Table,
    Id,
    CallbackId,
    Outcome,
    Note,
    CallBackAt,
    ById,
    At,
}

/// The structured survey, one per ticket resolution round (m0019).
#[derive(DeriveIden, Clone, Copy)]
pub enum Surveys {
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

/// Praise and complaints per engineer, with a complaint's improvement action (m0019).
#[derive(DeriveIden, Clone, Copy)]
pub enum EngineerFeedback {
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
