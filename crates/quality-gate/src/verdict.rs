//! The verdict and what the process does with it.

use cli_support::Exit;

/// The gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `result: pass`.
    Pass,
    /// `result: warning` (passes unless `fail_on_warning`).
    Warning,
    /// `result: fail`.
    Fail,
    /// The evaluation did not run (`status` is not `succeeded`).
    Errored,
}

/// What the gate decided for the process: the verdict after `fail_on_warning`, and for an
/// evaluation that did not run, whose fault it was. It becomes the binaries' exit code
/// through the one `From<Decision> for cli_support::Exit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Pass, or a warning without `fail_on_warning`: exit 0.
    Pass,
    /// Fail, or a warning with `fail_on_warning`: exit 1.
    Fail,
    /// The evaluation errored on its input (bad `total_score`), or the gate could not run
    /// ([`GateError`]): exit 2.
    InputError,
    /// The evaluation errored because the SLI retrieval did (`get-sli.finished` status
    /// `errored` / `aborted`): exit 3.
    SliErrored,
}

impl Decision {
    /// True for [`Decision::Pass`] and [`Decision::Fail`]: the evaluation ran and decided.
    #[must_use]
    pub const fn evaluated(self) -> bool {
        matches!(self, Self::Pass | Self::Fail)
    }
}

impl From<Decision> for Exit {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Pass => Self::Ok,
            Decision::Fail => Self::GateFailed,
            Decision::InputError => Self::Usage,
            Decision::SliErrored => Self::External,
        }
    }
}
