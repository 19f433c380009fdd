#![doc = "Keptn v1 CloudEvents (placeholder docs; the keptn helper replaces this file's header)."]

/// `sh.keptn.event.evaluation.*` payloads (owned by the slo-eval work).
pub mod evaluation;
/// `sh.keptn.event.get-sli.*` payloads (owned by the slo-eval work).
pub mod get_sli;
