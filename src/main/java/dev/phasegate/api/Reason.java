package dev.phasegate.api;

/** The closed vocabulary of reasons shown in status.reason, conditions and Events. */
public enum Reason {
    // progress
    Starting,
    Executing,
    RolloutInProgress,
    WaitingForRollout,
    BackfillRunning,
    Verifying,
    WaitingPeriod,
    OutsideWindow,
    RetryBackoff,
    Paused,
    /** A phase named in spec.approvalRequired waits for a person other than the author to approve it. */
    AwaitingApproval,
    /** That person approved: the phase may start once its other gates are open. */
    Approved,
    // spec and configuration
    InvalidSpec,
    SpecChangedAfterStart,
    Unsupported,
    SecretNotFound,
    SecretInvalid,
    // database access
    DatabaseUnavailable,
    AuthenticationFailed,
    PermissionDenied,
    RunnerBusy,
    /** The Secret now points at another database than the one this migration ran on. */
    DatabaseChanged,
    // SQL execution
    /** The SQL safety lint found an ERROR that spec.lint.allow does not list; nothing was run. */
    LintFailed,
    /** The SQL safety lint's warnings, notes and allowed errors, reported in an Event. */
    LintFindings,
    SqlError,
    LockRetriesExhausted,
    StatementTimeout,
    BlockedQueries,
    IndexBuildWaitExceeded,
    /** A phase failed and its automatic rollback would drop objects that existed before it: a person decides. */
    RollbackHeld,
    // application rollout
    DeploymentNotFound,
    ContainerNotFound,
    ProgressDeadlineExceeded,
    OldPodsRemaining,
    // data consistency before Cleanup
    Inconsistent,
    // health gate
    LongTransaction,
    IdleInTransaction,
    ReplicationLag,
    ConnectionSaturation,
    LockWaiters,
    Autovacuum,
    ProbeFailed,
    // abort and ends
    /** spec.dryRun: the lint and the plan are in status.lint; nothing ran. */
    Planned,
    Aborting,
    RollingBack,
    RollbackFailed,
    RolledBack,
    Succeeded
}
