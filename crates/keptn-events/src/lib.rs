#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod data;
mod envelope;
mod event_type;
mod names;
mod wire;

/// `sh.keptn.event.evaluation.*` payloads (owned by the slo-eval work).
pub mod evaluation;
/// `sh.keptn.event.get-sli.*` payloads (owned by the slo-eval work).
pub mod get_sli;

#[cfg(feature = "client")]
pub mod client;

pub use data::{CommonData, EventResult, Status};
pub use envelope::{
    BuildError, CONTENT_TYPE, CloudEvent, CloudEventBuilder, DEFAULT_KEPTN_SPEC_VERSION, EventTime,
    KeptnContext, SPEC_VERSION, TimeError,
};
pub use event_type::{EventType, EventTypeError, PREFIX, Phase};
pub use names::{
    NameError, NameKind, PROJECT_NAME_MAX_LEN, ProjectName, SERVICE_NAME_MAX_LEN, SequenceName,
    ServiceName, StageName, TaskName, validate_project, validate_sequence, validate_service,
    validate_stage, validate_task,
};
pub use wire::WireStr;
